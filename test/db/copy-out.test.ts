// Database.copyOut, the read of an export's usage records on PostgreSQL: COPY text in order; a
// caller that stops early or a statement that fails leaves the pool usable; and no read timeout of
// the driver is left armed once a COPY has ended.
import { describe, expect } from "vitest";
import { openPostgres } from "../../src/db/client.js";
import { POSTGRES_OPTIONS, usingPostgres } from "../helpers/database.js";
import { databaseTest } from "../helpers/fixtures.js";

const test = databaseTest();

const series = (n: number) => `COPY (SELECT i, 'row ' || i, NULL FROM generate_series(1, ${n}) AS s (i)) TO STDOUT`;
const text = async (chunks: AsyncIterable<Buffer>) => {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return Buffer.concat(all).toString();
};

describe.runIf(usingPostgres)("Database.copyOut", () => {
  test("gives COPY's text in order, in chunks", async ({ db }) => {
    const lines = (await text(db.copyOut!(series(20_000)))).split("\n");
    expect(lines).toHaveLength(20_001);
    expect(lines[0]).toBe("1\trow 1\t\\N");
    expect(lines[19_999]).toBe("20000\trow 20000\t\\N");
  });

  test("a caller that stops early gives up its connection, which PostgreSQL ends; the next reads work", async ({ db }) => {
    const before = await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()`, []);
    for await (const _ of db.copyOut!(series(2_000_000))) break;
    expect(await text(db.copyOut!(series(3)))).toBe("1\trow 1\t\\N\n2\trow 2\t\\N\n3\trow 3\t\\N\n");
    // The abandoned COPY's backend ends once it finds its client gone.
    await expect.poll(async () => (await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY%2000000%' AND pid <> pg_backend_pid()`, []))[0]!.n, { timeout: 10_000 }).toBe(0);
    expect(before[0]!.n).toBeGreaterThan(0);
  });

  test("a statement that fails rejects the read, and the next read works", async ({ db }) => {
    await expect(text(db.copyOut!(`COPY (SELECT 1 / (i - 1) FROM generate_series(1, 2) AS s (i)) TO STDOUT`))).rejects.toThrow(/division by zero/);
    expect(await text(db.copyOut!(series(1)))).toBe("1\trow 1\t\\N\n");
  });

  test("leaves no read timeout armed once the COPY has ended, as a plain query leaves none", async ({ database }) => {
    // pg arms its read timeout (query_timeout: the statement timeout and 5 s) around each query and
    // clears it in the query's callback, which a COPY stream never calls: left armed, it would fail
    // the ended stream later. The timers of that length armed meanwhile, and not cleared, are
    // counted: the process's other timers (pools' idle timers, other tests') come and go.
    const db = await openPostgres(database.url!, { ...POSTGRES_OPTIONS, DB_POOL_SIZE: 1, DB_STATEMENT_TIMEOUT_MS: 61_234 });
    const readTimeoutMs = 61_234 + 5_000;
    const armed = new Set<unknown>();
    let seen = 0;
    const [setTimer, clearTimer] = [globalThis.setTimeout, globalThis.clearTimeout];
    globalThis.setTimeout = ((callback: () => void, ms?: number) => {
      const timer = setTimer(callback, ms);
      if (ms === readTimeoutMs) {
        armed.add(timer);
        seen++;
      }
      return timer;
    }) as typeof setTimeout;
    globalThis.clearTimeout = ((timer: NodeJS.Timeout | undefined) => {
      armed.delete(timer);
      clearTimer(timer);
    }) as typeof clearTimeout;
    try {
      await db.transaction((run) => run(`SELECT 1`, []), { maxWaitMs: 1_000 }); // on the pool that COPY takes its connection from
      expect([seen > 0, armed.size]).toEqual([true, 0]); // its statements armed and cleared theirs
      const beforeCopy = seen;
      expect(await text(db.copyOut!(series(2)))).toBe("1\trow 1\t\\N\n2\trow 2\t\\N\n");
      expect([seen > beforeCopy, armed.size]).toEqual([true, 0]); // the COPY armed one too, and it is cleared
      expect(await db.query(`SELECT 1 AS one`, [])).toEqual([{ one: 1 }]);
    } finally {
      [globalThis.setTimeout, globalThis.clearTimeout] = [setTimer, clearTimer];
      await db.close();
    }
  });
});
