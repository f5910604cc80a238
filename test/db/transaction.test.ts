// Database.transaction, which the ledger's writes run on: one connection, everything or nothing,
// and a bounded wait for a pool connection that leaves the pool whole when the caller gives up.
import { describe, expect } from "vitest";
import { openPostgres } from "../../src/db/client.js";
import { UnavailableError } from "../../src/domain/errors.js";
import { together } from "../../src/store/rows.js";
import { POSTGRES_OPTIONS, usingPostgres } from "../helpers/database.js";
import { databaseTest } from "../helpers/fixtures.js";

const test = databaseTest();

describe("Database.transaction", () => {
  test("commits every statement, or none when the work throws", async ({ db }) => {
    await db.query(`CREATE TABLE tx_probe (n int PRIMARY KEY)`, []);
    await db.transaction(async (run) => {
      await run(`INSERT INTO tx_probe VALUES ($1::int)`, [1]);
      await run(`INSERT INTO tx_probe VALUES ($1::int)`, [2]);
    }, { maxWaitMs: 1_000 });
    await expect(db.transaction(async (run) => {
      await run(`INSERT INTO tx_probe VALUES ($1::int)`, [3]);
      throw new Error("refused after the first statement");
    }, { maxWaitMs: 1_000 })).rejects.toThrow("refused after the first statement");
    // A failing statement rolls back what came before it too.
    await expect(db.transaction(async (run) => {
      await run(`INSERT INTO tx_probe VALUES ($1::int)`, [4]);
      await run(`INSERT INTO tx_probe VALUES ($1::int)`, [1]);
    }, { maxWaitMs: 1_000 })).rejects.toThrow();
    expect(await db.query(`SELECT n FROM tx_probe ORDER BY n`, [])).toEqual([{ n: 1 }, { n: 2 }]);
  });

  test("runs statements asked for together in the order asked; once one fails, those after it fail and nothing is kept", async ({ db }) => {
    await db.query(`CREATE TABLE tx_order (n int PRIMARY KEY)`, []);
    // Each insert answers how many rows it found before its own: 0, 1, 2 in the order asked.
    const insert = (run: (sql: string, params: unknown[]) => Promise<unknown[]>, n: number) =>
      run(`INSERT INTO tx_order VALUES ($1::int) RETURNING (SELECT count(*) FROM tx_order)::int AS before`, [n]);
    const answers = await db.transaction((run) => together([insert(run, 1), insert(run, 2), insert(run, 3)]), { maxWaitMs: 1_000 });
    expect(answers).toEqual([[{ before: 0 }], [{ before: 1 }], [{ before: 2 }]]);

    let settled: PromiseSettledResult<unknown>[] = [];
    await expect(db.transaction(async (run) => {
      settled = await Promise.allSettled([insert(run, 10), insert(run, 1), insert(run, 11)]);
      throw new Error("a statement failed");
    }, { maxWaitMs: 1_000 })).rejects.toThrow("a statement failed");
    expect(settled.map((one) => one.status)).toEqual(["fulfilled", "rejected", "rejected"]);
    const codes = settled.map((one) => (one.status === "rejected" ? (one.reason as { code?: string }).code : null));
    expect(codes).toEqual([null, "23505", "25P02"]); // the duplicate, then "current transaction is aborted"
    expect(await db.query(`SELECT n FROM tx_order ORDER BY n`, [])).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  test.runIf(!usingPostgres)("on PGlite, gives up within its wait while another transaction holds the one connection, and never runs late", async ({ db }) => {
    let release!: () => void;
    const holding = db.transaction(() => new Promise<void>((resolve) => (release = resolve)), { maxWaitMs: 1_000 });
    let ran = false;
    const refused = await db.transaction(async () => void (ran = true), { maxWaitMs: 50 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UnavailableError);
    expect((refused as UnavailableError).code).toBe("OVERLOADED");
    release();
    await holding;
    // Its turn came after the caller had gone: it rolled back without running.
    expect(await db.transaction(async (run) => run(`SELECT 1 AS one`, []), { maxWaitMs: 1_000 })).toEqual([{ one: 1 }]);
    expect(ran).toBe(false);
  });

  test.runIf(usingPostgres)("keeps a connection whose statement the server cancelled, and drops one the server ended", async ({ database }) => {
    const small = await openPostgres(database.url!, { ...POSTGRES_OPTIONS, DB_POOL_SIZE: 1 });
    const backend = () => small.transaction(async (run) => ((await run(`SELECT pg_backend_pid() AS pid`, [])) as [{ pid: number }])[0].pid, { maxWaitMs: 1_000 });
    try {
      const first = await backend();
      const cancelled = await small.transaction(async (run) => {
        await run(`SET LOCAL statement_timeout = 10`, []);
        await run(`SELECT pg_sleep(1)`, []);
      }, { maxWaitMs: 1_000 }).catch((error: unknown) => error);
      expect((cancelled as { code?: string }).code).toBe("57014");
      expect(await backend()).toBe(first); // rolled back, and handed out again
      const ended = await small.transaction(async (run) => {
        await run(`SELECT pg_terminate_backend(pg_backend_pid())`, []);
      }, { maxWaitMs: 1_000 }).catch((error: unknown) => error);
      expect(ended).toBeInstanceOf(Error);
      const next = await backend();
      expect(next).not.toBe(first); // the ended connection left the pool; a new one serves
    } finally {
      await small.close();
    }
  });

  test.runIf(usingPostgres)("gives up on a busy pool within its wait, as OVERLOADED, and the connection that comes late goes back", async ({ database }) => {
    const small = await openPostgres(database.url!, { ...POSTGRES_OPTIONS, DB_POOL_SIZE: 1 });
    try {
      let release!: () => void;
      let holding!: () => void;
      const inside = new Promise<void>((resolve) => (holding = resolve));
      const held = small.transaction(() => new Promise<void>((resolve) => ((release = resolve), holding())), { maxWaitMs: 1_000 });
      await inside;
      const started = performance.now();
      const refused = await small.transaction(async () => "never", { maxWaitMs: 100 }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(UnavailableError);
      expect((refused as UnavailableError).code).toBe("OVERLOADED");
      expect(performance.now() - started).toBeLessThan(2_000);
      release();
      await held;
      // The pool's one connection came back, past the refused caller: the next transaction gets it.
      expect(await small.transaction(async (run) => run(`SELECT 1 AS one`, []), { maxWaitMs: 1_000 })).toEqual([{ one: 1 }]);
      expect(small.connections()).toMatchObject({ waiting: 0 });
    } finally {
      await small.close();
    }
  });
});
