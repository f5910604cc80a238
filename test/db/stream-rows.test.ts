// Database.streamRows, the read an export's usage rows come through: every row in order, each to
// the caller as it arrives and none kept by the driver; a caller that throws, and a statement that
// fails, reject the read and leave the pool usable.
import pg from "pg";
import { describe, expect } from "vitest";
import { StreamedQuery } from "../../src/db/client.js";
import { usingPostgres } from "../helpers/database.js";
import { databaseTest } from "../helpers/fixtures.js";

const test = databaseTest();

const SERIES = `SELECT n::text, (n * 2)::text FROM generate_series(1, $1::int) AS s (n)`;

describe("Database.streamRows", () => {
  test("gives each row as an array of text, in order", async ({ db }) => {
    const rows: (string | null)[][] = [];
    await db.streamRows(SERIES, [2_500], (row) => rows.push(row));
    expect(rows).toHaveLength(2_500);
    expect(rows[0]).toEqual(["1", "2"]);
    expect(rows.at(-1)).toEqual(["2500", "5000"]);
  });

  test("rejects with the caller's error, takes no row after it, and the next read works", async ({ db }) => {
    let taken = 0;
    const refusal = new Error("the sink refused");
    await expect(db.streamRows(SERIES, [100], () => {
      taken += 1;
      if (taken === 10) throw refusal;
    })).rejects.toBe(refusal);
    expect(taken).toBe(10);
    const rows: (string | null)[][] = [];
    await db.streamRows(SERIES, [3], (row) => rows.push(row));
    expect(rows).toEqual([["1", "2"], ["2", "4"], ["3", "6"]]);
  });

  test("rejects a statement that fails, and the next read works", async ({ db }) => {
    await expect(db.streamRows(`SELECT 1 / ($1::int - 1)`, [1], () => {})).rejects.toThrow(/division by zero/);
    let count = 0;
    await db.streamRows(SERIES, [5], () => (count += 1));
    expect(count).toBe(5);
  });

  test.runIf(usingPostgres)("on PostgreSQL, the driver keeps none of the rows, even with a read timeout, and the timeout's error reaches the caller", async ({ database }) => {
    const client = new pg.Client({ connectionString: database.url!, query_timeout: 200 });
    await client.connect();
    try {
      let seen = 0;
      const kept = await new Promise<number>((resolve, reject) => {
        const query = new StreamedQuery({ text: SERIES, values: [1_000], rowMode: "array" } as pg.QueryArrayConfig, undefined, (error, result) => (error ? reject(error) : resolve(result.rows.length)));
        query.on("row", () => (seen += 1));
        client.query(query);
      });
      expect(seen).toBe(1_000);
      expect(kept).toBe(0);
      // A statement slower than the read timeout: its error comes through the callback.
      const slow = new Promise<void>((resolve, reject) => client.query(new StreamedQuery({ text: "SELECT pg_sleep(1)", rowMode: "array" } as pg.QueryArrayConfig, undefined, (error) => (error ? reject(error) : resolve()))));
      await expect(slow).rejects.toThrow(/timeout/i);
    } finally {
      await client.end().catch(() => {});
    }
  });
});
