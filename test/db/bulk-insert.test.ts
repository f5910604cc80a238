// Bulk inserts answer with the ids they inserted as one array, and reserved ids ascend: the usage
// batch and the ledger take their ids so, on both databases.
import { describe, expect } from "vitest";
import { allocateIds, insertReturningIds } from "../../src/store/bulk-insert.js";
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
});
