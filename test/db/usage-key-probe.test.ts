// Idempotency lookups read the (workspaceId, idempotencyKey) index for a tenant that the planner's
// statistics do not know yet (one that started writing since the last ANALYZE), instead of
// walking all of the tenant's rows by another index and comparing keys.
import { describe, expect } from "vitest";
import type { Database } from "../../src/db/client.js";
import { seedBulk } from "../../src/seed/bulk.js";
import { ledgerRowByKey } from "../../src/store/ledger.js";
import { directSql } from "../../src/store/rows.js";
import { existingUsageKeys } from "../../src/store/usage-records.js";
import { databaseTest } from "../helpers/fixtures.js";
import { indexesOf } from "../helpers/plans.js";

const test = databaseTest();

/** Gives `table` statistics from a time when `fresh` had no rows there, then copies `known`'s rows to it. */
async function freshTenant(db: Database, table: string, known: string, fresh: string): Promise<void> {
  const [{ list }] = (await db.query(
    `SELECT string_agg(format('%I', column_name), ', ') AS list FROM information_schema.columns
     WHERE table_name = $1 AND column_name NOT IN ('id', 'workspaceId', 'idempotencyKey')`, [table],
  )) as [{ list: string }];
  await db.withSession(async (session) => {
    await session.query(`DELETE FROM "${table}" WHERE "workspaceId" = $1::uuid`, [fresh]);
    await session.exec(`ANALYZE "${table}"`);
    await session.query(
      `INSERT INTO "${table}" ("workspaceId", "idempotencyKey", ${list})
       SELECT $2::uuid, 'fresh-' || id, ${list} FROM "${table}" WHERE "workspaceId" = $1::uuid`,
      [known, fresh],
    );
  });
}

describe("idempotency lookups of a tenant newer than the statistics", () => {
  test("probe a usage batch's keys in the unique index", async ({ db, clock }) => {
    // Tenants large beside a batch, as in production: reading all of a tenant's rows would cost more than looking each key up.
    const [known, fresh] = await seedBulk(db, { workspaces: 2, days: 10, events: 20_000, now: clock.now() });
    await freshTenant(db, "UsageRecord", known!.id, fresh!.id);
    const keys = (await db.query(`SELECT "idempotencyKey" AS key FROM "UsageRecord" WHERE "workspaceId" = $1::uuid ORDER BY id LIMIT 10`, [fresh!.id]))
      .map((row) => row.key as string);
    expect(keys).toHaveLength(10);
    const scans = await indexesOf(db, "UsageRecord", (run) => existingUsageKeys(run, fresh!.id, [...keys, "not-stored"]));
    expect(scans.map((node) => node["Index Name"])).toEqual(["UsageRecord_workspaceId_idempotencyKey_key"]);
    expect(scans[0]!["Index Cond"]).toContain("idempotencyKey");
    const found = await existingUsageKeys(directSql(db), fresh!.id, [...keys, "not-stored"]);
    expect([...found.keys()].sort()).toEqual([...keys].sort());

    // A credit operation's key, looked up under the ledger's lock.
    await freshTenant(db, "CreditTransaction", known!.id, fresh!.id);
    const [{ key }] = (await db.query(`SELECT "idempotencyKey" AS key FROM "CreditTransaction" WHERE "workspaceId" = $1::uuid LIMIT 1`, [fresh!.id])) as [{ key: string }];
    const ledgerScans = await indexesOf(db, "CreditTransaction", (run) => ledgerRowByKey(run, fresh!.id, key));
    expect(ledgerScans.map((node) => node["Index Name"])).toEqual(["CreditTransaction_workspaceId_idempotencyKey_key"]);
    expect((await ledgerRowByKey(directSql(db), fresh!.id, key))?.idempotencyKey).toBe(key);
    expect(await ledgerRowByKey(directSql(db), fresh!.id, "not-posted")).toBeNull();
  });
});
