// The demo data is realistic and consistent: its ledger pays for its usage row by row, the
// rollups agree with the raw rows, and the same inputs give the same data.
import { describe, expect } from "vitest";
import type { Database } from "../../src/db/client.js";
import { seedBulk } from "../../src/seed/bulk.js";
import { seedDemo } from "../../src/seed/demo.js";
import { createTestDatabase } from "../helpers/database.js";
import { databaseTest } from "../helpers/fixtures.js";
import { ledgerViolations } from "../helpers/ledger-invariants.js";
import { usageTableViolations } from "../helpers/usage-tables.js";

const NOW = new Date("2026-11-22T09:00:00Z");

async function one<T>(db: Database, sql: string): Promise<T> {
  return (await db.prisma.$queryRawUnsafe<T[]>(sql))[0]!;
}

const test = databaseTest().extend("demo", { scope: "file" }, ({ db }) => seedDemo(db, { now: NOW }));

describe("demo data", () => {
  test("has the promised shape: 2 organizations, 4 workspaces, ~15 SKUs, ~50,000 usage records over 90 days", async ({ db, demo }) => {
    const counts = await one<Record<string, number>>(db, `SELECT
      (SELECT COUNT(*)::int FROM "Organization") AS orgs, (SELECT COUNT(*)::int FROM "Workspace") AS workspaces,
      (SELECT COUNT(*)::int FROM "Sku") AS skus, (SELECT COUNT(*)::int FROM "UsageRecord") AS usage,
      (SELECT COUNT(*)::int FROM "Workflow") AS workflows, (SELECT COUNT(*)::int FROM "Execution") AS executions,
      (SELECT COUNT(*)::int FROM "ActivityEvent") AS activity, (SELECT COUNT(DISTINCT "occurredAt"::date)::int FROM "UsageRecord") AS days,
      (SELECT COUNT(DISTINCT "trigger")::int FROM "Execution") AS triggers, (SELECT COUNT(*)::int FROM "User") AS users`);
    expect(counts).toMatchObject({ orgs: 2, workspaces: 4, skus: 15, workflows: 8, users: 4 });
    expect(counts.days).toBeGreaterThanOrEqual(90);
    expect(counts.days).toBeLessThanOrEqual(91);
    const [latest] = await db.prisma.$queryRawUnsafe<{ max: Date }[]>(`SELECT MAX("occurredAt") AS max FROM "UsageRecord"`);
    expect(latest!.max.getTime()).toBeLessThanOrEqual(NOW.getTime());
    expect(counts.usage).toBe(50_000);
    expect(counts.executions).toBeGreaterThan(5_000);
    expect(counts.activity).toBeGreaterThan(2_000);
    expect(counts.triggers).toBeGreaterThanOrEqual(4);
    expect(demo.demoApiKey).toMatch(/^bgk_/);
  });

  test("keeps every ledger row's balance equal to the sum of the rows before it, never negative", async ({ db }) => {
    const broken = await one<{ n: number }>(db, `SELECT COUNT(*)::int AS n FROM (
      SELECT "balanceAfter", SUM("amount") OVER (PARTITION BY "workspaceId" ORDER BY id) AS running FROM "CreditTransaction") x
      WHERE "balanceAfter" <> running OR running < 0`);
    expect(broken.n).toBe(0);
    const mismatched = await one<{ n: number }>(db, `SELECT COUNT(*)::int AS n FROM "Workspace" w
      WHERE w."creditBalance" <> (SELECT "balanceAfter" FROM "CreditTransaction" c WHERE c."workspaceId" = w.id ORDER BY id DESC LIMIT 1)`);
    expect(mismatched.n).toBe(0);
  });

  test("debits each usage record's credits exactly once, and has every kind of ledger entry", async ({ db }) => {
    const usage = await one<{ unpaid: number; doubly: number; wrong: number }>(db, `SELECT
      (SELECT COUNT(*)::int FROM "UsageRecord" u WHERE NOT EXISTS (SELECT 1 FROM "CreditTransaction" c WHERE c."usageRecordId" = u.id)) AS unpaid,
      (SELECT COUNT(*)::int FROM (SELECT "usageRecordId" FROM "CreditTransaction" WHERE "usageRecordId" IS NOT NULL GROUP BY 1 HAVING COUNT(*) > 1) d) AS doubly,
      (SELECT COUNT(*)::int FROM "CreditTransaction" c JOIN "UsageRecord" u ON u.id = c."usageRecordId" WHERE c.amount <> -u.credits OR c.type <> 'USAGE') AS wrong`);
    expect(usage).toEqual({ unpaid: 0, doubly: 0, wrong: 0 });
    const types = await db.prisma.creditTransaction.groupBy({ by: ["type"], _count: true });
    expect(types.map((row) => row.type).sort()).toEqual(["ADJUSTMENT", "EXPIRATION", "GRANT", "PURCHASE", "REFUND", "USAGE"]);
    const purchases = await db.prisma.creditTransaction.findMany({ where: { type: "PURCHASE" }, include: { workspace: true } });
    for (const p of purchases) expect(p.moneyAmount?.toFixed(2)).toBe(p.amount.mul(p.workspace.creditPriceUsd).toFixed(2));
  });

  test("pays with lots: a welcome grant partly expired, purchases of two priorities, a refund of bought credits, goodwill", async ({ db, demo }) => {
    for (const workspace of demo.workspaces) {
      expect(await ledgerViolations(db, workspace.id)).toEqual({});
      const lots = await db.prisma.creditLot.findMany({ where: { workspaceId: workspace.id }, include: { transaction: true } });
      const welcome = lots.find((l) => l.source === "GRANT")!;
      expect(welcome.expiresAt!.getTime()).toBeLessThan(NOW.getTime());
      expect(welcome.expirationTransactionId).not.toBeNull(); // its remainder expired …
      const expired = await db.prisma.creditAllocation.findFirstOrThrow({ where: { transactionId: welcome.expirationTransactionId! } });
      expect(expired.credits.gt(0) && expired.credits.lt(welcome.originalCredits)).toBe(true); // … after part of it was used
      const purchases = lots.filter((l) => l.source === "PURCHASE");
      expect(new Set(purchases.map((l) => l.priority))).toEqual(new Set([20, 50]));
      expect(purchases.every((l) => l.originalCostUsd.eq(l.transaction.moneyAmount!))).toBe(true);
      const refund = lots.find((l) => l.source === "REFUND")!;
      expect(refund.originalCostUsd.gt(0)).toBe(true);
      const refunded = await db.prisma.creditTransaction.findUniqueOrThrow({ where: { id: refund.refundOfTransactionId! } });
      expect([refunded.amount.neg().toFixed(), refunded.costUsd.toFixed()]).toEqual([refund.originalCredits.toFixed(), refund.originalCostUsd.toFixed()]);
      expect(refund.transaction.costUsd.toFixed()).toBe(refund.originalCostUsd.neg().toFixed());
      expect(lots.filter((l) => l.source === "ADJUSTMENT").map((l) => [l.originalCredits.toFixed(), l.originalCostUsd.toFixed()])).toEqual([["250", "0"]]);
    }
  });

  test("keeps the daily, monthly and hourly usage tables equal to the raw rows", async ({ db }) => {
    const workspaces = await db.prisma.workspace.findMany({ select: { id: true } });
    for (const { id } of workspaces) expect([id, await usageTableViolations(db, id)]).toEqual([id, {}]);
    const executions = await one<{ n: number }>(db, `SELECT COUNT(*)::int AS n FROM (
      SELECT "workspaceId", COUNT(*) c, SUM("costUsd") usd FROM "Execution" GROUP BY 1
      EXCEPT SELECT "workspaceId", SUM("executionCount"), SUM("costUsd") FROM "ExecutionDailyRollup" GROUP BY 1) x`);
    expect(executions.n).toBe(0);
  });

  test("writes each workspace's aggregate rows in key order, as live writes add them day after day", async ({ db, demo }) => {
    expect(demo.workspaces).toHaveLength(4);
    const tables = ["UsageDailyRollup", "UsageDailyTotal", "UsageMonthlyTotal", "UsageHourlyTotal", "UsageDailyByDimension",
      "UsageMonthlyByDimension", "UsageHourlyByDimension", "ExecutionDailyRollup"];
    // Rows stored after one whose key sorts later, in its workspace. In hash order that was 30–50%
    // of each table's rows; in key order a few per thousand remain, where the heap put a row on an
    // earlier page that had room.
    const outOfOrder: Record<string, boolean> = {};
    for (const table of tables) {
      // The order is the primary key's after the workspace, read from the catalog.
      const { key } = await one<{ key: string }>(db, `SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY array_position(i.indkey::int2[], a.attnum)) AS key
        FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
        WHERE i.indrelid = '"${table}"'::regclass AND i.indisprimary AND a.attname <> 'workspaceId'`);
      expect([table, (key ?? "").split(", ").length >= 3]).toEqual([table, true]);
      const { rows, late } = await one<{ rows: number; late: number }>(db, `SELECT COUNT(*)::int AS rows, COUNT(*) FILTER (WHERE k < before)::int AS late
        FROM (SELECT ROW(${key}) AS k, lag(ROW(${key})) OVER (PARTITION BY "workspaceId" ORDER BY ctid) AS before FROM "${table}") r`);
      expect([table, rows > 500]).toEqual([table, true]);
      outOfOrder[table] = late > rows / 100;
    }
    expect(outOfOrder).toEqual(Object.fromEntries(tables.map((table) => [table, false])));
  });

  test("has executions past a workspace's monthly limit, so that On-Demand rows exist", async ({ db }) => {
    const over = await one<{ n: number }>(db, `SELECT COUNT(*)::int AS n FROM (
      SELECT e."workspaceId", date_trunc('month', e."startedAt" AT TIME ZONE w."timeZone") m, SUM(e."costUsd") total, MAX(w."monthlyLimitUsd") lim
      FROM "Execution" e JOIN "Workspace" w ON w.id = e."workspaceId" GROUP BY 1, 2) x WHERE total > lim`);
    expect(over.n).toBeGreaterThan(0);
  });
});

describe("demo determinism", () => {
  // Two databases of its own, seeded the same way.
  test("gives the same rows for the same seed and time", async () => {
    const fingerprints = [];
    for (let i = 0; i < 2; i++) {
      const fresh = await createTestDatabase();
      try {
        await seedDemo(fresh.db, { now: NOW, days: 5, usageRecords: 400 });
        fingerprints.push(await one(fresh.db, `SELECT
          (SELECT md5(string_agg(concat_ws('|', "occurredAt", "skuId", units, credits, "externalUserId", "requestId"), ',' ORDER BY id)) FROM "UsageRecord") AS usage,
          (SELECT md5(string_agg(concat_ws('|', type, amount, "balanceAfter", "occurredAt"), ',' ORDER BY id)) FROM "CreditTransaction") AS ledger,
          (SELECT md5(string_agg(concat_ws('|', slug, id), ',' ORDER BY slug)) FROM "Workspace") AS workspaces`));
      } finally {
        await fresh.drop();
      }
    }
    expect(fingerprints[1]).toEqual(fingerprints[0]);
  });
});

describe("bulk seeding", () => {
  // An empty database of its own: the counts are of the bulk data alone.
  test("adds exactly the requested usage records to new workspaces, with a consistent ledger and rollups", async () => {
    const fresh = await createTestDatabase();
    const db = fresh.db;
    try {
      const first = await seedBulk(db, { workspaces: 2, days: 3, events: 1_001, now: NOW });
      const second = await seedBulk(db, { workspaces: 1, days: 2, events: 10, now: NOW });
      expect([...first, ...second].map((w) => [w.slug, w.usage.records])).toEqual([["bulk-1", 501], ["bulk-2", 500], ["bulk-3", 10]]);
      const check = await one<Record<string, number>>(db, `SELECT
        (SELECT COUNT(*)::int FROM "UsageRecord") AS usage,
        (SELECT COUNT(*)::int FROM (SELECT "balanceAfter" <> SUM(amount) OVER (PARTITION BY "workspaceId" ORDER BY id) AS bad FROM "CreditTransaction") x WHERE bad) AS "badBalances",
        (SELECT SUM("eventCount")::int FROM "UsageDailyRollup") AS "rolledUp",
        (SELECT SUM("eventCount")::int FROM "UsageDailyTotal") AS "totalled"`);
      expect(check).toEqual({ usage: 1_011, badBalances: 0, rolledUp: 1_011, totalled: 1_011 });
    } finally {
      await fresh.drop();
    }
  });
});
