// Database.query on PostgreSQL: reads asked for in the same turn go on one connection, in one
// pipeline, each answered on its own: one failing or timing out leaves the others' answers and the
// connection usable; reads of later turns take connections as before; a pipeline carries at most
// eight, and the driver waits for each as long as the reads before it may take.
import { describe, expect } from "vitest";
import { openPostgres, type Database } from "../../src/db/client.js";
import { POSTGRES_OPTIONS, usingPostgres } from "../helpers/database.js";
import { databaseTest } from "../helpers/fixtures.js";

const test = databaseTest();

const backend = (db: Database, value: number) => db.query(`SELECT pg_backend_pid() AS pid, $1::int AS value`, [value]) as Promise<{ pid: number; value: number }[]>;

describe.runIf(usingPostgres)("Database.query's pipelines", () => {
  test("reads of one turn share a connection, each with its own answer; reads of separate turns may not", async ({ database }) => {
    const db = await openPostgres(database.url!, { ...POSTGRES_OPTIONS, DB_POOL_SIZE: 4 });
    try {
      const together = (await Promise.all([1, 2, 3, 4].map((value) => backend(db, value)))).map(([row]) => row!);
      expect(together.map((row) => row.value)).toEqual([1, 2, 3, 4]);
      expect(new Set(together.map((row) => row.pid)).size).toBe(1);
      // Turns apart, each read takes a connection of its own while the others are busy.
      const slow = (value: number) => new Promise<{ pid: number }[]>((resolve) => setImmediate(() => resolve(db.query(`SELECT pg_backend_pid() AS pid, pg_sleep(0.2), $1::int`, [value]) as never)));
      const apart = await Promise.all([slow(1), slow(2), slow(3)]);
      expect(new Set(apart.map(([row]) => row!.pid)).size).toBe(3);
    } finally {
      await db.close();
    }
  });

  test("carry at most eight reads each: more of one turn go on another connection", async ({ database }) => {
    const db = await openPostgres(database.url!, { ...POSTGRES_OPTIONS, DB_POOL_SIZE: 4 });
    try {
      const rows = (await Promise.all(Array.from({ length: 10 }, (_, value) => backend(db, value)))).map(([row]) => row!);
      expect(rows.map((row) => row.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const perBackend = new Map<number, number>();
      for (const row of rows) perBackend.set(row.pid, (perBackend.get(row.pid) ?? 0) + 1);
      expect([...perBackend.values()]).toEqual([8, 2]);
    } finally {
      await db.close();
    }
  });

  test("a read behind slow ones waits for them, however long they take within the statement timeout", async ({ database }) => {
    // The driver's read timeout is the statement timeout and 5 s: the last of eight reads of 0.8 s
    // each is answered after 6.4 s, and is not given up on (nor its connection with it) at 6 s.
    const db = await openPostgres(database.url!, { ...POSTGRES_OPTIONS, DB_POOL_SIZE: 1, DB_STATEMENT_TIMEOUT_MS: 1_000 });
    try {
      const answers = await Promise.all(Array.from({ length: 8 }, (_, value) => db.query(`SELECT pg_sleep(0.8), $1::int AS value`, [value])));
      expect(answers.map(([row]) => row!.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    } finally {
      await db.close();
    }
  }, 20_000);

  test("go on while a transaction holds the other pool's only connection", async ({ database }) => {
    const db = await openPostgres(database.url!, { ...POSTGRES_OPTIONS, DB_POOL_SIZE: 1, DB_CONNECTION_TIMEOUT_MS: 1_000 });
    try {
      let release!: () => void;
      let holding!: () => void;
      const inside = new Promise<void>((resolve) => (holding = resolve));
      const held = db.transaction(() => new Promise<void>((resolve) => ((release = resolve), holding())), { maxWaitMs: 1_000 });
      await inside; // the transaction's pool opens its connection on demand: read only once it is held
      expect((await backend(db, 1))[0]!.value).toBe(1);
      release();
      await held;
    } finally {
      await db.close();
    }
  });

  test("a read that fails or times out fails alone; the others of its turn and the connection go on", async ({ database }) => {
    const db = await openPostgres(database.url!, { ...POSTGRES_OPTIONS, DB_POOL_SIZE: 1, DB_STATEMENT_TIMEOUT_MS: 300 });
    try {
      const answers = await Promise.allSettled([
        backend(db, 1),
        db.query(`SELECT 1 / $1::int AS x`, [0]),
        db.query(`SELECT pg_sleep(2)`, []),
        backend(db, 4),
      ]);
      expect(answers.map((a) => a.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
      expect(String((answers[1] as PromiseRejectedResult).reason)).toMatch(/division by zero/);
      expect(String((answers[2] as PromiseRejectedResult).reason)).toMatch(/statement timeout/);
      const [first, last] = [answers[0], answers[3]].map((a) => (a as PromiseFulfilledResult<{ pid: number; value: number }[]>).value[0]!);
      expect([first!.value, last!.value, last!.pid]).toEqual([1, 4, first!.pid]);
      expect((await backend(db, 5))[0]).toEqual({ pid: first!.pid, value: 5 });
    } finally {
      await db.close();
    }
  });

  test("a connection lost mid-pipeline fails each of its reads, and the next turn gets a new one", async ({ database }) => {
    const db = await openPostgres(database.url!, { ...POSTGRES_OPTIONS, DB_POOL_SIZE: 1 });
    try {
      const { pid } = (await backend(db, 0))[0]!;
      const answers = await Promise.allSettled([
        db.query(`SELECT pg_terminate_backend(pg_backend_pid())`, []),
        backend(db, 2),
      ]);
      expect(answers.map((a) => a.status)).toEqual(["rejected", "rejected"]);
      const [after] = await backend(db, 3);
      expect(after!.value).toBe(3);
      expect(after!.pid).not.toBe(pid);
    } finally {
      await db.close();
    }
  });
});
