// Bulk inserts answer with the ids they inserted as one array, and reserved ids ascend: the usage
// batch and the ledger take their ids so, on both databases.
import { describe, expect } from "vitest";
import { Prisma } from "../../src/db/generated/client.js";
import { allocateIds, insertColumns, insertReturningIds } from "../../src/store/bulk-insert.js";
import { databaseTest } from "../helpers/fixtures.js";

const test = databaseTest();
const ascending = (ids: bigint[]) => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe("bulk inserts", () => {
  test("reserve ascending ids, and answer the ids inserted, ascending, without those a conflict skipped", async ({ db }) => {
    await db.transaction(async (run) => {
      await run(`CREATE TEMP TABLE bulk_rows (id bigserial PRIMARY KEY, k text UNIQUE) ON COMMIT DROP`, []);
      const ids = await allocateIds(run, "bulk_rows", 3);
      expect(new Set(ids).size).toBe(3);
      expect(ids).toEqual(ascending(ids));
      const columns = (reserved: bigint[], keys: string[]) => [{ name: "id", type: "int8", values: reserved }, { name: "k", type: "text", values: keys }];
      expect(await insertReturningIds(run, "bulk_rows", columns(ids, ["a", "b", "c"]))).toEqual(ids);

      const more = await allocateIds(run, "bulk_rows", 3);
      expect(more[0]! > ids[2]!).toBe(true);
      const skip = { onConflict: "ON CONFLICT (k) DO NOTHING" };
      expect(await insertReturningIds(run, "bulk_rows", columns(more, ["b", "d", "e"]), skip)).toEqual(more.slice(1));
      expect(await insertReturningIds(run, "bulk_rows", columns([more[0]!], ["a"]), skip)).toEqual([]);
      expect(await insertReturningIds(run, "bulk_rows", columns([], []))).toEqual([]);
      const stored = (await run(`SELECT id, k FROM bulk_rows ORDER BY id`, [])) as { id: unknown; k: string }[];
      expect(stored.map((row) => [BigInt(String(row.id)), row.k])).toEqual([[ids[0], "a"], [ids[1], "b"], [ids[2], "c"], [more[1], "d"], [more[2], "e"]]);
    }, { maxWaitMs: 5_000 });
  });

  test("send a column whose rows all hold one value as one parameter, and store the same rows as arrays would", async ({ db }) => {
    await db.query(`CREATE TYPE bulk_kind AS ENUM ('A', 'B')`, []);
    await db.query(`CREATE TABLE bulk_common (n int PRIMARY KEY, at timestamptz, price numeric, kind bulk_kind, note text, label text)`, []);
    const at = "2026-03-08T09:30:00.000Z";
    const columns = (n: number[], kinds: string[], labels: (string | null)[]) => [
      { name: "n", type: "int4", values: n },
      // Equal instants and decimals in distinct objects, an enum, NULL written both ways, text that reads like NULL.
      { name: "at", type: "timestamptz", values: n.map(() => new Date(at)) },
      { name: "price", type: "numeric", values: n.map(() => new Prisma.Decimal("0.0000025")) },
      { name: "kind", type: '"bulk_kind"', values: kinds },
      { name: "note", type: "text", values: n.map((i) => (i % 2 ? null : undefined)) },
      { name: "label", type: "text", values: labels },
    ];
    const sent: unknown[][] = [];
    await db.transaction(async (run) => {
      const noting = (sql: string, params: unknown[]) => (sent.push(params), run(sql, params));
      await insertColumns(noting, "bulk_common", columns([1, 2, 3], ["A", "A", "A"], ["NULL", "NULL", "NULL"]));
      await insertColumns(noting, "bulk_common", columns([4, 5], ["A", "B"], ["x", null]));
    }, { maxWaitMs: 5_000 });
    const arrays = (params: unknown[]) => params.filter((p) => typeof p === "string" && p.startsWith("{")).length;
    expect(sent.map(arrays)).toEqual([1, 3]); // n alone; then n, kind and label, which differ
    const rows = await db.query(`SELECT n, at = $1::timestamptz AS "atKept", price::text, kind::text, note, label FROM bulk_common ORDER BY n`, [at]);
    expect(rows).toEqual([
      { n: 1, atKept: true, price: "0.0000025", kind: "A", note: null, label: "NULL" },
      { n: 2, atKept: true, price: "0.0000025", kind: "A", note: null, label: "NULL" },
      { n: 3, atKept: true, price: "0.0000025", kind: "A", note: null, label: "NULL" },
      { n: 4, atKept: true, price: "0.0000025", kind: "A", note: null, label: "x" },
      { n: 5, atKept: true, price: "0.0000025", kind: "B", note: null, label: null },
    ]);
  });
});
