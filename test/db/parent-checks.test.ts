// The four relations that triggers check per statement instead of foreign keys per row (migration
// 20261214000000): a usage record's workspace and SKU, a ledger row's workspace, an allocation's
// ledger row. They must refuse and follow exactly as the keys did, concurrent writers included.
import crypto from "node:crypto";
import { describe, expect } from "vitest";
import type { Database } from "../../src/db/client.js";
import { usingPostgres } from "../helpers/database.js";
import { databaseTest } from "../helpers/fixtures.js";

const test = databaseTest();

const RECORD_COLUMNS = `("workspaceId", "occurredAt", "skuId", units, "pricePerUnitUsd", amount, currency, "costUsd", credits, "resourceKind", "idempotencyKey")`;
/** `count` usage records of a workspace and SKU, in one statement. */
const insertRecords = (run: Pick<Database, "query">, workspaceId: string, skuId: string, count = 3) =>
  run.query(
    `INSERT INTO "UsageRecord" ${RECORD_COLUMNS}
     SELECT $1::uuid, now(), $2, 1, 0.01, 0.01, 'USD', 0.01, 1, 'INFERENCE', 'key-' || gen_random_uuid() FROM generate_series(1, $3::int)`,
    [workspaceId, skuId, count],
  );
const insertLedgerRows = (db: Database, workspaceId: string, count = 3) =>
  db.query(
    `INSERT INTO "CreditTransaction" ("workspaceId", type, amount, "balanceAfter", description)
     SELECT $1::uuid, 'GRANT', 10, 10 * g, 'grant' FROM generate_series(1, $2::int) g RETURNING id::text`,
    [workspaceId, count],
  ) as Promise<{ id: string }[]>;
const insertAllocations = (db: Database, workspaceId: string, transactionIds: string[]) =>
  db.query(
    `INSERT INTO "CreditAllocation" ("workspaceId", "transactionId", credits, "costUsd") SELECT $1::uuid, t, 1, 0 FROM unnest($2::int8[]) t`,
    [workspaceId, `{${transactionIds.join(",")}}`],
  );
const count = async (db: Database, table: string, where: string, params: unknown[]) =>
  Number(((await db.query(`SELECT count(*)::int AS n FROM "${table}" WHERE ${where}`, params)) as { n: number }[])[0]!.n);

async function newWorkspace(db: Database): Promise<string> {
  const slug = `checks-${crypto.randomUUID().slice(0, 8)}`;
  const organization = await db.prisma.organization.create({ data: { slug, name: slug } });
  return (await db.prisma.workspace.create({ data: { organizationId: organization.id, slug, name: slug } })).id;
}
async function newSku(db: Database): Promise<string> {
  const id = `sku-${crypto.randomUUID().slice(0, 8)}`;
  await db.prisma.sku.create({
    data: { id, name: id, meter: "Tokens", unit: "1000 Tokens", listPriceUsd: "0.01", creditsPerUnit: "1", resourceKind: "INFERENCE", serviceName: "AI", serviceCategory: "AI and Machine Learning", serviceSubcategory: "Generative AI" },
  });
  return id;
}

/** The SQLSTATE and constraint of a refused statement. */
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ refused: false }),
    (error: { code?: string; constraint?: string; message?: string }) => ({ refused: true, code: error.code, constraint: error.constraint, message: error.message }),
  );

describe("relations checked per statement", () => {
  test("refuse rows whose parent is missing, with the foreign key's code and name, and write none of the statement's rows", async ({ db }) => {
    const workspaceId = await newWorkspace(db);
    const skuId = await newSku(db);
    const unknown = crypto.randomUUID();

    expect(await refusal(insertRecords(db, unknown, skuId))).toMatchObject({ refused: true, code: "23503", constraint: "UsageRecord_workspaceId_fkey" });
    expect(await refusal(insertRecords(db, workspaceId, "no-such-sku"))).toMatchObject({
      refused: true, code: "23503", constraint: "UsageRecord_skuId_fkey", message: 'insert or update on table "UsageRecord" violates foreign key constraint "UsageRecord_skuId_fkey"',
    });
    expect(await refusal(insertLedgerRows(db, unknown))).toMatchObject({ refused: true, code: "23503", constraint: "CreditTransaction_workspaceId_fkey" });
    expect(await refusal(insertAllocations(db, workspaceId, ["999999999"]))).toMatchObject({ refused: true, code: "23503", constraint: "CreditAllocation_transactionId_fkey" });
    expect(await count(db, "UsageRecord", `"skuId" = $1`, [skuId])).toBe(0);
    expect(await count(db, "CreditTransaction", `"workspaceId" = $1::uuid`, [workspaceId])).toBe(0);

    // One missing parent among present ones refuses the whole statement.
    const [first] = await insertLedgerRows(db, workspaceId, 1);
    expect(await refusal(insertAllocations(db, workspaceId, [first!.id, "999999999"]))).toMatchObject({ refused: true, constraint: "CreditAllocation_transactionId_fkey" });
    expect(await count(db, "CreditAllocation", `"transactionId" = $1::int8`, [first!.id])).toBe(0);

    // Updates are checked too.
    await insertRecords(db, workspaceId, skuId, 2);
    expect(await refusal(db.query(`UPDATE "UsageRecord" SET "skuId" = 'no-such-sku' WHERE "workspaceId" = $1::uuid`, [workspaceId])))
      .toMatchObject({ refused: true, code: "23503", constraint: "UsageRecord_skuId_fkey" });
    expect(await refusal(db.query(`UPDATE "CreditTransaction" SET "workspaceId" = $2::uuid WHERE "workspaceId" = $1::uuid`, [workspaceId, unknown])))
      .toMatchObject({ refused: true, code: "23503", constraint: "CreditTransaction_workspaceId_fkey" });
    expect(await count(db, "UsageRecord", `"skuId" = $1`, [skuId])).toBe(2);
  });

  test("deleting a workspace deletes its usage records, ledger rows and their allocations, and no other workspace's", async ({ db }) => {
    const [doomed, kept] = [await newWorkspace(db), await newWorkspace(db)];
    const skuId = await newSku(db);
    for (const workspaceId of [doomed, kept]) {
      await insertRecords(db, workspaceId, skuId, 4);
      await insertAllocations(db, workspaceId, (await insertLedgerRows(db, workspaceId, 3)).map((row) => row.id));
    }
    await db.prisma.workspace.delete({ where: { id: doomed } });
    const rows = async (workspaceId: string) => [
      await count(db, "UsageRecord", `"workspaceId" = $1::uuid`, [workspaceId]),
      await count(db, "CreditTransaction", `"workspaceId" = $1::uuid`, [workspaceId]),
      await count(db, "CreditAllocation", `"workspaceId" = $1::uuid`, [workspaceId]),
    ];
    expect(await rows(doomed)).toEqual([0, 0, 0]);
    expect(await rows(kept)).toEqual([4, 3, 3]);
  });

  test("a SKU that records name cannot be deleted; changing its id moves them; an unused SKU deletes", async ({ db }) => {
    const workspaceId = await newWorkspace(db);
    const [used, unused] = [await newSku(db), await newSku(db)];
    await insertRecords(db, workspaceId, used, 2);
    expect(await refusal(db.query(`DELETE FROM "Sku" WHERE id = $1`, [used]))).toMatchObject({
      refused: true, code: "23503", constraint: "UsageRecord_skuId_fkey", message: expect.stringContaining('violates foreign key constraint "UsageRecord_skuId_fkey" on table "UsageRecord"'),
    });
    await db.query(`UPDATE "Sku" SET id = $2 WHERE id = $1`, [used, `${used}-renamed`]);
    expect(await count(db, "UsageRecord", `"skuId" = $1`, [`${used}-renamed`])).toBe(2);
    await db.query(`DELETE FROM "Sku" WHERE id = $1`, [unused]);
    expect(await count(db, "Sku", `id = $1`, [unused])).toBe(0);
  });

  test("check and follow the same whatever the caller's search_path", async ({ db }) => {
    const workspaceId = await newWorkspace(db);
    const skuId = await newSku(db);
    await db.withSession(async (session) => {
      await session.query("SET search_path = pg_catalog");
      try {
        const insert = (workspace: string) => session.query(
          `INSERT INTO public."UsageRecord" ${RECORD_COLUMNS} VALUES ($1::uuid, now(), $2, 1, 0.01, 0.01, 'USD', 0.01, 1, 'INFERENCE', $3)`,
          [workspace, skuId, `key-${crypto.randomUUID()}`],
        );
        expect(await refusal(insert(crypto.randomUUID()))).toMatchObject({ refused: true, code: "23503", constraint: "UsageRecord_workspaceId_fkey" });
        await insert(workspaceId);
        await session.query(`DELETE FROM public."Workspace" WHERE id = $1::uuid`, [workspaceId]);
      } finally {
        await session.query("RESET search_path");
      }
    });
    expect(await count(db, "UsageRecord", `"skuId" = $1`, [skuId])).toBe(0);
  });

  // Two connections: PGlite has one.
  test.runIf(usingPostgres)("a writer's statement holds its parents until it commits, as a foreign key's check does, and a deleted parent refuses later writers", async ({ db }) => {
    const workspaceId = await newWorkspace(db);
    const skuId = await newSku(db);
    await db.withSession(async (writer) => {
      await writer.query("BEGIN");
      await insertRecords(writer, workspaceId, skuId, 5);
      // The workspace cannot go (nor the SKU) while the writer's rows are uncommitted.
      await db.withSession(async (deleter) => {
        await deleter.query(`SET lock_timeout = '200ms'`);
        expect(await refusal(deleter.query(`DELETE FROM "Workspace" WHERE id = $1::uuid`, [workspaceId]))).toMatchObject({ refused: true, code: "55P03" });
        expect(await refusal(deleter.query(`UPDATE "Sku" SET id = id || '-x' WHERE id = $1`, [skuId]))).toMatchObject({ refused: true, code: "55P03" });
      });
      await writer.query("COMMIT");
    });
    expect(await count(db, "UsageRecord", `"workspaceId" = $1::uuid`, [workspaceId])).toBe(5);

    // A delete under way makes a writer wait; once it commits, the writer is refused and writes nothing.
    await db.withSession(async (deleter) => {
      await deleter.query("BEGIN");
      await deleter.query(`DELETE FROM "Workspace" WHERE id = $1::uuid`, [workspaceId]);
      await db.withSession(async (writer) => {
        await writer.query(`SET lock_timeout = '200ms'`);
        expect(await refusal(insertRecords(writer, workspaceId, skuId))).toMatchObject({ refused: true, code: "55P03" });
        await deleter.query("COMMIT");
        expect(await refusal(insertRecords(writer, workspaceId, skuId))).toMatchObject({ refused: true, code: "23503", constraint: "UsageRecord_workspaceId_fkey" });
      });
    });
    expect(await count(db, "UsageRecord", `"workspaceId" = $1::uuid`, [workspaceId])).toBe(0);
  });
});
