// Writes to the credit ledger through GraphQL: per-record outcomes, exact balances under
// concurrency, idempotency, and the admin-only credit operations.
import { describe, expect } from "vitest";
import type { Database } from "../../src/db/client.js";
import { Prisma } from "../../src/db/generated/client.js";
import { encodeGlobalId } from "../../src/domain/rules/global-ids.js";
import { insertPriceList } from "../../src/seed/price-list.js";
import { graphql } from "../gql/index.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, type TestGateway } from "../helpers/gateway.js";
import { ledgerViolations } from "../helpers/ledger-invariants.js";
import { usageTableViolations } from "../helpers/usage-tables.js";
import { createTenant, type Tenant } from "../helpers/tenants.js";

const Decimal = Prisma.Decimal;

const RecordUsage = graphql(`
  mutation LedgerRecordUsage($records: [UsageRecordInput!]!) {
    recordUsage(records: $records) {
      __typename
      ... on RecordUsagePayload {
        accepted duplicates rejected creditsDebited creditBalance { credits }
        results { index idempotencyKey status existingUsageRecordId usageRecord { id credits costUsd amount currency unit } reason { code message path } }
      }
      ... on ValidationError { message issues { path message } }
    }
  }
`);
const Balance = graphql(`
  query LedgerBalance { workspace { creditBalance { credits } creditTransactions(first: 500) { totalCount edges { node { type amount balanceAfter } } } } }
`);
const Grant = graphql(`
  mutation LedgerGrant($input: GrantCreditsInput!) {
    grantCredits(input: $input) { __typename ... on CreditTransactionPayload { transaction { id type amount balanceAfter } } ... on ValidationError { issues { path } } }
  }
`);
const Purchase = graphql(`
  mutation LedgerPurchase($input: PurchaseCreditsInput!) {
    purchaseCredits(input: $input) { __typename ... on CreditTransactionPayload { transaction { amount moneyAmount moneyCurrency } } }
  }
`);
const Adjust = graphql(`
  mutation LedgerAdjust($input: AdjustCreditsInput!) {
    adjustCredits(input: $input) {
      __typename
      ... on CreditTransactionPayload { transaction { amount balanceAfter } }
      ... on InsufficientCreditsError { balance required }
    }
  }
`);
const SetLimit = graphql(`
  mutation LedgerSetLimit($limit: Decimal!) { setUsageLimit(monthlyLimitUsd: $limit) { __typename ... on Workspace { monthlyUsageLimitUsd } } }
`);
const RecordExecution = graphql(`
  mutation LedgerRecordExecution($input: RecordExecutionInput!) {
    recordExecution(input: $input) {
      __typename
      ... on RecordExecutionPayload { duplicate execution { id startedAt costUsd billingType monthToDateUsd workflow { name createdAt } } }
      ... on ValidationError { issues { path message } }
    }
  }
`);

const MonthExecutions = graphql(`
  query LedgerMonthExecutions($from: DateTime!) {
    workspace { executions(from: $from, first: 50, order: OLDEST_FIRST) { edges { node { costUsd monthToDateUsd billingType } } } }
  }
`);

const LedgerLinks = graphql(`
  query LedgerLinks { workspace { creditTransactions(first: 10, order: OLDEST_FIRST) { nodes { type usageRecord { idempotencyKey } allocations { lot { id } credits } } } } }
`);

const usage = (key: string, units = "1", sku = "llm-gpt-4o-input") => ({ idempotencyKey: key, sku, units });

const test = gatewayTest().extend("acme", { scope: "file" }, async ({ db }) => {
  await db.withSession((session) => insertPriceList(session));
  return createTenant(db, "acme"); // 1000 credits
});

const balance = async (gateway: TestGateway, acme: Tenant) => (await gateway.graphql(Balance, {}, bearer(acme.keys.admin))).data!.workspace!;

/** Every balanceAfter is the running sum, and the workspace's balance is the last one. */
async function assertLedgerConsistent(db: Database, acme: Tenant) {
  const rows = await db.prisma.creditTransaction.findMany({ where: { workspaceId: acme.workspaceId }, orderBy: { id: "asc" } });
  expect(rows.length).toBeGreaterThan(0);
  let running = rows[0]!.balanceAfter.minus(rows[0]!.amount);
  for (const row of rows) {
    running = running.plus(row.amount);
    expect(row.balanceAfter.toFixed()).toBe(running.toFixed());
  }
  const workspace = await db.prisma.workspace.findUniqueOrThrow({ where: { id: acme.workspaceId } });
  expect(workspace.creditBalance.toFixed()).toBe(rows.at(-1)!.balanceAfter.toFixed());
}

describe("ledger writes", () => {
  test("accepts, deduplicates and rejects records one by one, debiting each accepted record", async ({ gateway, acme, db }) => {
    const response = await gateway.graphql(
      RecordUsage,
      {
        records: [
          usage("a-1", "2"),
          usage("a-1", "2"),
          usage("a-2", "1", "no-such-sku"),
          { ...usage("a-3"), units: "-1" },
          { ...usage("a-4", "10", "image-flux-pro"), currency: "CREDITS" },
          usage("a-5", "100000"),
        ],
      },
      bearer(acme.keys.write),
    );
    const result = response.data!.recordUsage;
    if (result.__typename !== "RecordUsagePayload") throw new Error(JSON.stringify(result));
    expect(result.results.map((r) => [r.idempotencyKey, r.status, r.reason?.code ?? null])).toEqual([
      ["a-1", "ACCEPTED", null],
      ["a-1", "DUPLICATE", null],
      ["a-2", "REJECTED", "UNKNOWN_SKU"],
      ["a-3", "REJECTED", "VALIDATION_ERROR"],
      ["a-4", "ACCEPTED", null],
      ["a-5", "REJECTED", "INSUFFICIENT_CREDITS"],
    ]);
    expect(result.results[3]!.reason!.path).toEqual(["units"]);
    expect(result.results[1]!.existingUsageRecordId).toBe(result.results[0]!.usageRecord!.id);
    expect(result.results[1]!.usageRecord).toBeNull(); // a write-only key is not shown what a key holds (test/graphql/access.test.ts)
    // 2 × 0.25 credits per 1K tokens, 10 × 5 credits per image (amount in credits).
    expect(result.results[0]!.usageRecord).toMatchObject({ credits: "0.5", costUsd: "0.005", amount: "0.005", currency: "USD", unit: "2" });
    expect(result.results[4]!.usageRecord).toMatchObject({ credits: "50", amount: "50", currency: "CREDITS" });
    expect(result).toMatchObject({ accepted: 2, duplicates: 1, rejected: 3, creditsDebited: "50.5", creditBalance: null });
    // Records are inserted before the balance is read: the one it could not pay for is removed again.
    expect((await db.prisma.usageRecord.findMany({ where: { workspaceId: acme.workspaceId }, orderBy: { id: "asc" } })).map((r) => r.idempotencyKey)).toEqual(["a-1", "a-4"]);
    const after = await balance(gateway, acme);
    expect(after.creditBalance!.credits).toBe("949.5");
    expect(after.creditTransactions!.edges.map((e) => [e.node.type, e.node.amount, e.node.balanceAfter])).toEqual([
      ["USAGE", "-50", "949.5"],
      ["USAGE", "-0.5", "999.5"],
      ["GRANT", "1000", "1000"], // the tenant's opening balance
    ]);
    // A key that also reads billing gets the balance and, for a duplicate, the record its key holds.
    const again = await gateway.graphql(RecordUsage, { records: [usage("a-1", "2")] }, bearer(acme.keys.admin));
    expect(again.data!.recordUsage).toMatchObject({ accepted: 0, duplicates: 1, creditBalance: { credits: "949.5" } });
    const retried = again.data!.recordUsage.__typename === "RecordUsagePayload" ? again.data!.recordUsage.results[0]! : null;
    expect(retried?.usageRecord).toEqual(result.results[0]!.usageRecord);
    expect((await balance(gateway, acme)).creditBalance!.credits).toBe("949.5");
    // A stored key is a duplicate whatever its record holds now (it is not validated again); an
    // invalid record under a new key is refused.
    const changed = await gateway.graphql(RecordUsage, { records: [{ ...usage(" a-1 "), units: "-1" }, { ...usage("a-6"), units: "-1" }] }, bearer(acme.keys.write));
    const outcomes = changed.data!.recordUsage.__typename === "RecordUsagePayload" ? changed.data!.recordUsage.results : [];
    expect(outcomes.map((r) => [r.idempotencyKey, r.status, r.existingUsageRecordId ?? r.reason?.code])).toEqual([
      ["a-1", "DUPLICATE", result.results[0]!.usageRecord!.id],
      ["a-6", "REJECTED", "VALIDATION_ERROR"],
    ]);
  });

  test("rejects hostile values inside records one by one and keeps the batch's good records; inputs out of range are refused with a code", async ({ gateway, db, acme }) => {
    const response = await gateway.graphql(
      RecordUsage,
      {
        records: [
          usage("h-1"),
          { ...usage("h-2"), notes: "a\u0000b" },
          { ...usage("h-3"), model: "gpt\u0000" },
          { ...usage("h-4"), externalUserId: "u\u0007" },
          { ...usage("h-5"), notes: "x".repeat(1_001) },
          { ...usage("h-6"), idempotencyKey: "h\u00006" },
          usage("h-7"),
        ],
      },
      bearer(acme.keys.write),
    );
    const result = response.data!.recordUsage;
    if (result.__typename !== "RecordUsagePayload") throw new Error(JSON.stringify(result));
    expect(result.results.map((r) => [r.status, r.reason?.code ?? null, r.reason?.path ?? null])).toEqual([
      ["ACCEPTED", null, null],
      ["REJECTED", "VALIDATION_ERROR", ["notes"]],
      ["REJECTED", "VALIDATION_ERROR", ["model"]],
      ["REJECTED", "VALIDATION_ERROR", ["externalUserId"]],
      ["REJECTED", "VALIDATION_ERROR", ["notes"]],
      ["REJECTED", "VALIDATION_ERROR", ["idempotencyKey"]],
      ["ACCEPTED", null, null],
    ]);
    expect(await db.prisma.usageRecord.count({ where: { workspaceId: acme.workspaceId, idempotencyKey: { startsWith: "h" } } })).toBe(2);

    // Values a scalar refuses (a year PostgreSQL cannot store, integers written 1e1 or 0x10) fail the
    // whole operation before it runs, with a code and the path: nothing is stored.
    const scalars = await gateway.graphql(RecordUsage, { records: [{ ...usage("h-8"), occurredAt: "0000-01-01T00:00:00Z" }, { ...usage("h-9"), units: "1e1" }, { ...usage("h-10"), units: "0x10" }] }, bearer(acme.keys.write));
    expect(scalars.status).toBe(400);
    expect(scalars.errors?.map((e) => [e.extensions?.code, /at "(records\[\d\]\.\w+)"/.exec(e.message)?.[1]])).toEqual([
      ["BAD_USER_INPUT", "records[0].occurredAt"],
      ["BAD_USER_INPUT", "records[1].units"],
      ["BAD_USER_INPUT", "records[2].units"],
    ]);
    // Numbers beyond their column's precision, and text with a NUL.
    const huge = await gateway.graphql(Grant, { input: { credits: "999999999999999999" } }, bearer(acme.keys.admin));
    expect(huge.data!.grantCredits).toMatchObject({ __typename: "ValidationError", issues: [{ path: ["credits"] }] });
    const nul = await gateway.graphql(Grant, { input: { credits: "1", description: "x\u0000" } }, bearer(acme.keys.admin));
    expect(nul.data!.grantCredits).toMatchObject({ __typename: "ValidationError", issues: [{ path: ["description"] }] });
    const limit = await gateway.graphql(SetLimit, { limit: "10000000000000" }, bearer(acme.keys.admin));
    expect(limit.data!.setUsageLimit).toMatchObject({ __typename: "ValidationError" });
    expect(await db.prisma.usageRecord.count({ where: { workspaceId: acme.workspaceId, idempotencyKey: { in: ["h-8", "h-9", "h-10"] } } })).toBe(0);
    await assertLedgerConsistent(db, acme);
  });

  test("writes nothing for a batch that is invalid as a whole", async ({ gateway, db, acme }) => {
    const before = await db.prisma.usageRecord.count();
    const empty = await gateway.graphql(RecordUsage, { records: [] }, bearer(acme.keys.write));
    expect(empty.data!.recordUsage.__typename).toBe("ValidationError");
    const tooMany = await gateway.graphql(RecordUsage, { records: Array.from({ length: 1001 }, (_, i) => usage(`big-${i}`)) }, bearer(acme.keys.write));
    expect(tooMany.data!.recordUsage).toMatchObject({ __typename: "ValidationError", message: "records: Send between 1 and 1000 usage records" });
    expect(await db.prisma.usageRecord.count()).toBe(before);
  });

  test("needs write:usage to record usage", async ({ gateway, db, acme }) => {
    const response = await gateway.graphql(RecordUsage, { records: [usage("r-1")] }, bearer(acme.keys.read));
    expect(response.status).toBe(403);
    expect(await db.prisma.usageRecord.count({ where: { idempotencyKey: "r-1" } })).toBe(0);
  });

  test("takes a key repeated in a batch as its first chargeable record: stored once, or refused with it", async ({ gateway, db, acme }) => {
    const response = await gateway.graphql(
      RecordUsage,
      { records: [usage("r-1", "100000"), usage("r-1", "1"), usage("r-2", "1"), usage("r-2", "1"), usage("r-3", "1", "no-such-sku"), usage("r-3", "1")] },
      bearer(acme.keys.write),
    );
    const result = response.data!.recordUsage;
    if (result.__typename !== "RecordUsagePayload") throw new Error(JSON.stringify(result));
    expect(result.results.map((r) => [r.idempotencyKey, r.status, r.reason?.code ?? null])).toEqual([
      ["r-1", "REJECTED", "INSUFFICIENT_CREDITS"],
      ["r-1", "REJECTED", "INSUFFICIENT_CREDITS"],
      ["r-2", "ACCEPTED", null],
      ["r-2", "DUPLICATE", null],
      ["r-3", "REJECTED", "UNKNOWN_SKU"],
      ["r-3", "ACCEPTED", null],
    ]);
    expect(result.results[3]!.existingUsageRecordId).toBe(result.results[2]!.usageRecord!.id);
    const stored = await db.prisma.usageRecord.findMany({ where: { workspaceId: acme.workspaceId, idempotencyKey: { in: ["r-1", "r-2", "r-3"] } } });
    expect(stored.map((r) => r.idempotencyKey).sort()).toEqual(["r-2", "r-3"]);
    expect(await ledgerViolations(db, acme.workspaceId)).toEqual({});
  });

  test("inserts nothing it would only delete again when the workspace has no credits left", async ({ gateway, db, acme }) => {
    const left = (await balance(gateway, acme)).creditBalance!.credits;
    await gateway.graphql(Adjust, { input: { credits: `-${left}`, description: "Spent" } }, bearer(acme.keys.admin));
    const statements: string[] = [];
    const stop = db.onQuery((sql) => statements.push(sql));
    try {
      const response = await gateway.graphql(RecordUsage, { records: [usage("broke-1"), usage("broke-2")] }, bearer(acme.keys.write));
      const result = response.data!.recordUsage;
      if (result.__typename !== "RecordUsagePayload") throw new Error(JSON.stringify(result));
      expect(result.results.map((r) => r.reason?.code)).toEqual(["INSUFFICIENT_CREDITS", "INSUFFICIENT_CREDITS"]);
    } finally {
      stop();
    }
    expect(statements.filter((sql) => /^\s*(INSERT INTO|DELETE FROM) "UsageRecord"/.test(sql))).toEqual([]);
    // Credits that arrive meanwhile are spent under the lock as usual.
    await gateway.graphql(Grant, { input: { credits: "1000" } }, bearer(acme.keys.admin));
    const paid = await gateway.graphql(RecordUsage, { records: [usage("broke-1")] }, bearer(acme.keys.write));
    expect(paid.data!.recordUsage).toMatchObject({ accepted: 1 });
    expect(await ledgerViolations(db, acme.workspaceId)).toEqual({});
  });

  test("loses no update under 100 concurrent debits, and applies a key sent concurrently once", async ({ gateway, db, acme }) => {
    const start = new Decimal((await balance(gateway, acme)).creditBalance!.credits);
    const calls = Array.from({ length: 100 }, (_, i) => gateway.graphql(RecordUsage, { records: [usage(`c-${i}`, "0.4")] }, bearer(acme.keys.write)));
    const same = Array.from({ length: 10 }, () => gateway.graphql(RecordUsage, { records: [usage("same-key", "4")] }, bearer(acme.keys.write)));
    const results = await Promise.all([...calls, ...same]);
    const statuses = results.map((r) => (r.data!.recordUsage as { results: { status: string }[] }).results[0]!.status);
    expect(statuses.slice(0, 100).every((s) => s === "ACCEPTED")).toBe(true);
    expect(statuses.slice(100).filter((s) => s === "ACCEPTED")).toHaveLength(1);
    expect(statuses.slice(100).filter((s) => s === "DUPLICATE")).toHaveLength(9);
    // 100 × 0.4 × 0.25 + 4 × 0.25 credits
    expect((await balance(gateway, acme)).creditBalance!.credits).toBe(start.minus("11").toFixed());
    await assertLedgerConsistent(db, acme);
    expect(await ledgerViolations(db, acme.workspaceId)).toEqual({}); // the lots and allocations too
    // Every daily, monthly and hourly usage table took every accepted record as it was written.
    expect(await usageTableViolations(db, acme.workspaceId)).toEqual({});
  });

  test("adds a batch to every usage table by each record's local day and month and UTC hour, in a half-hour zone", async ({ gateway, db, clock, acme: _priceList }) => {
    const tenant = await createTenant(db, "half-hour");
    await db.prisma.workspace.update({ where: { id: tenant.workspaceId }, data: { timeZone: "Asia/Kolkata" } });
    // Kolkata's (UTC+05:30) midnight starting last month: the UTC hour 18:00–19:00 before it holds
    // the end of one local day and month and the start of the next.
    const now = clock.now();
    const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1) - 5.5 * 3_600_000;
    const records = Array.from({ length: 48 }, (_, i) => ({
      ...usage(`half-${i}`, String(1 + (i % 5)), i % 3 === 0 ? "llm-gpt-4o-output" : "llm-gpt-4o-input"),
      occurredAt: new Date(monthStart + (i - 24) * 5 * 60_000).toISOString(), // 22:00 to 01:55 local, every 5 minutes
      model: i % 4 === 0 ? null : "gpt-4o",
      externalUserId: [null, "u-1", "u-2"][i % 3],
      externalProjectId: i % 2 ? "p-1" : null,
      promptTokens: i % 5 === 0 ? null : 10 * i,
    }));
    const batch = await gateway.graphql(RecordUsage, { records }, bearer(tenant.keys.write));
    expect(batch.data!.recordUsage).toMatchObject({ accepted: 48 });
    expect(await usageTableViolations(db, tenant.workspaceId)).toEqual({});
    // Both local days, both local months and five UTC hours have rows of their own.
    const periods = await db.prisma.$queryRawUnsafe<{ days: number; months: number; hours: number }[]>(
      `SELECT (SELECT COUNT(DISTINCT day)::int FROM "UsageDailyTotal" WHERE "workspaceId" = $1::uuid) AS days,
        (SELECT COUNT(DISTINCT month)::int FROM "UsageMonthlyByDimension" WHERE "workspaceId" = $1::uuid) AS months,
        (SELECT COUNT(DISTINCT hour)::int FROM "UsageHourlyTotal" WHERE "workspaceId" = $1::uuid) AS hours`, tenant.workspaceId);
    expect(periods).toEqual([{ days: 2, months: 2, hours: 5 }]);
  });

  test("grants, purchases and adjusts credits idempotently, as admin only", async ({ gateway, db, acme }) => {
    const grant = await gateway.graphql(Grant, { input: { credits: "100", idempotencyKey: "g-1", description: "Promo" } }, bearer(acme.keys.admin));
    const again = await gateway.graphql(Grant, { input: { credits: "100", idempotencyKey: "g-1" } }, bearer(acme.keys.admin));
    expect(again.data!.grantCredits).toEqual(grant.data!.grantCredits);
    expect((await gateway.graphql(Grant, { input: { credits: "1" } }, bearer(acme.keys.write))).status).toBe(403);
    const bad = await gateway.graphql(Grant, { input: { credits: "0", expiresAt: "2001-01-01T00:00:00Z" } }, bearer(acme.keys.admin));
    expect(bad.data!.grantCredits).toMatchObject({ __typename: "ValidationError", issues: [{ path: ["credits"] }, { path: ["expiresAt"] }] });

    const purchase = await gateway.graphql(Purchase, { input: { credits: "2500" } }, bearer(acme.keys.admin));
    expect(purchase.data!.purchaseCredits).toMatchObject({ transaction: { amount: "2500", moneyAmount: "25", moneyCurrency: "USD" } });

    const current = new Decimal((await balance(gateway, acme)).creditBalance!.credits);
    const overdraw = await gateway.graphql(Adjust, { input: { credits: current.plus(1).neg().toFixed(), description: "too much" } }, bearer(acme.keys.admin));
    expect(overdraw.data!.adjustCredits).toMatchObject({ __typename: "InsufficientCreditsError", balance: current.toFixed() });
    const adjust = await gateway.graphql(Adjust, { input: { credits: "-10.5", description: "Correction" } }, bearer(acme.keys.admin));
    expect(adjust.data!.adjustCredits).toMatchObject({ transaction: { amount: "-10.5", balanceAfter: current.minus("10.5").toFixed() } });
    await assertLedgerConsistent(db, acme);
  });

  test("sets the monthly limit (admin) and records executions against it", async ({ gateway, clock, acme }) => {
    expect((await gateway.graphql(SetLimit, { limit: "1.00" }, bearer(acme.keys.admin))).data!.setUsageLimit).toMatchObject({ monthlyUsageLimitUsd: "1" });
    expect((await gateway.graphql(SetLimit, { limit: "-1" }, bearer(acme.keys.admin))).data!.setUsageLimit.__typename).toBe("ValidationError");
    const input = { workflow: "Nightly digest", trigger: "schedule", model: "gpt-4o", costUsd: "0.75", idempotencyKey: "e-1", inputTokens: 10, outputTokens: 5 };
    // Its billing tells the month's spend: a write:usage key gets the execution, not the billing.
    const writeOnly = await gateway.graphql(RecordExecution, { input: { ...input, idempotencyKey: "e-w" } }, bearer(acme.keys.write));
    expect(writeOnly.errors?.length).toBeGreaterThan(0);
    expect(writeOnly.errors?.every((e) => e.extensions?.code === "FORBIDDEN")).toBe(true);
    const first = await gateway.graphql(RecordExecution, { input }, bearer(acme.keys.admin));
    expect(first.data!.recordExecution).toMatchObject({
      duplicate: false,
      execution: { costUsd: "0.75", billingType: "ON_DEMAND", monthToDateUsd: "1.5", workflow: { name: "Nightly digest" } },
    });
    // The workflow made on first use is dated by the request's clock, as the execution is.
    const made = first.data!.recordExecution as { execution: { startedAt: string; workflow: { createdAt: string } } };
    expect(made.execution.workflow.createdAt).toBe(clock.now().toISOString());
    expect(made.execution.startedAt).toBe(clock.now().toISOString());
    const repeat = await gateway.graphql(RecordExecution, { input }, bearer(acme.keys.admin));
    expect(repeat.data!.recordExecution).toMatchObject({ duplicate: true });
    const second = await gateway.graphql(RecordExecution, { input: { ...input, idempotencyKey: "e-2" } }, bearer(acme.keys.admin));
    expect(second.data!.recordExecution).toMatchObject({ execution: { billingType: "ON_DEMAND", monthToDateUsd: "2.25" } });
    const tokens = await gateway.graphql(RecordExecution, { input: { ...input, idempotencyKey: "e-t", inputTokens: 1_000_000_001 } }, bearer(acme.keys.admin));
    expect(tokens.data!.recordExecution).toMatchObject({ __typename: "ValidationError", issues: [{ path: ["inputTokens"] }] });
    const mismatch = await gateway.graphql(
      RecordExecution,
      { input: { ...input, idempotencyKey: "e-3", costBreakdown: [{ model: "gpt-4o", inputTokens: 1, outputTokens: 1, costUsd: "0.5" }] } },
      bearer(acme.keys.admin),
    );
    expect(mismatch.data!.recordExecution).toMatchObject({ __typename: "ValidationError", issues: [{ path: ["costBreakdown"] }] });
  });

  test("a USAGE row names the record it debits and each allocation its lot, read in one statement per page", async ({ gateway, db, acme: _withPriceList }) => {
    const tenant = await createTenant(db, "links"); // 1,000 credits at priority 50
    const other = await createTenant(db, "links-other");
    // A lot drawn first and too small for the second record: the page names two lots.
    await gateway.graphql(Grant, { input: { credits: "3", priority: 10 } }, bearer(tenant.keys.admin));
    await gateway.graphql(RecordUsage, { records: [usage("l-1", "10"), usage("l-2", "20")] }, bearer(tenant.keys.write));
    await gateway.graphql(RecordUsage, { records: [usage("l-1", "30")] }, bearer(other.keys.write));
    const lots = await db.prisma.creditLot.findMany({ where: { workspaceId: tenant.workspaceId }, orderBy: { priority: "asc" } });
    const [first, opening] = lots.map((lot) => ({ id: encodeGlobalId("CreditLot", lot.id) }));
    const statements: string[] = [];
    const stop = db.onQuery((sql) => statements.push(sql));
    const rows = (await gateway.graphql(LedgerLinks, {}, bearer(tenant.keys.admin))).data!.workspace!.creditTransactions!.nodes;
    stop();
    expect([/FROM "(public"\.")?UsageRecord"/, /FROM "(public"\.")?CreditLot"/].map((table) => statements.filter((sql) => table.test(sql)).length)).toEqual([1, 1]);
    expect(rows).toEqual([
      { type: "GRANT", usageRecord: null, allocations: [] },
      { type: "GRANT", usageRecord: null, allocations: [] },
      { type: "USAGE", usageRecord: { idempotencyKey: "l-1" }, allocations: [{ lot: first, credits: "2.5" }] },
      { type: "USAGE", usageRecord: { idempotencyKey: "l-2" }, allocations: [{ lot: first, credits: "0.5" }, { lot: opening, credits: "4.5" }] },
    ]);
    // The other tenant's ledger names only its own record and lot.
    const theirs = (await gateway.graphql(LedgerLinks, {}, bearer(other.keys.admin))).data!.workspace!.creditTransactions!.nodes;
    const [theirLot] = await db.prisma.creditLot.findMany({ where: { workspaceId: other.workspaceId } });
    expect(theirs[1]).toEqual({ type: "USAGE", usageRecord: { idempotencyKey: "l-1" }, allocations: [{ lot: { id: encodeGlobalId("CreditLot", theirLot!.id) }, credits: "7.5" }] });
    expect(await ledgerViolations(db, tenant.workspaceId)).toEqual({});
  });

  test("deleting a workspace deletes its usage, ledger, lots and allocations", async ({ gateway, db }) => {
    const tenant = await createTenant(db, "gone");
    const written = await gateway.graphql(RecordUsage, { records: [usage("g-1", "10"), usage("g-2", "20")] }, bearer(tenant.keys.write));
    expect(written.data!.recordUsage).toMatchObject({ accepted: 2 });
    const rows = async () => {
      const [counts] = await db.prisma.$queryRawUnsafe<Record<string, number>[]>(
        `SELECT (SELECT COUNT(*)::int FROM "UsageRecord" WHERE "workspaceId" = $1::uuid) AS usage,
          (SELECT COUNT(*)::int FROM "CreditTransaction" WHERE "workspaceId" = $1::uuid) AS ledger,
          (SELECT COUNT(*)::int FROM "CreditLot" WHERE "workspaceId" = $1::uuid) AS lots,
          (SELECT COUNT(*)::int FROM "CreditAllocation" WHERE "workspaceId" = $1::uuid) AS allocations`,
        tenant.workspaceId,
      );
      return counts;
    };
    expect(await rows()).toEqual({ usage: 2, ledger: 3, lots: 1, allocations: 2 });
    await db.prisma.workspace.delete({ where: { id: tenant.workspaceId } });
    expect(await rows()).toEqual({ usage: 0, ledger: 0, lots: 0, allocations: 0 });
  });

  test("keeps each execution's running monthly total when executions arrive late, by its workspace's calendar month", async ({ gateway, db, clock }) => {
    const tenant = await createTenant(db, "late");
    await db.prisma.workspace.update({ where: { id: tenant.workspaceId }, data: { timeZone: "Asia/Kolkata" } });
    expect((await gateway.graphql(SetLimit, { limit: "20" }, bearer(tenant.keys.admin))).data!.setUsageLimit.__typename).toBe("Workspace");
    // A month in Kolkata (UTC+05:30) two months before the clock's, and the next one.
    const now = clock.now();
    const HOUR = 3_600_000;
    const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1) - 5.5 * HOUR;
    const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1) - 5.5 * HOUR;
    const record = async (key: string, at: number, costUsd: string) => {
      const input = { workflow: "Late", trigger: "api", model: "gpt-4o", costUsd, idempotencyKey: key, startedAt: new Date(at).toISOString() };
      const response = await gateway.graphql(RecordExecution, { input }, bearer(tenant.keys.admin));
      expect(response.data!.recordExecution).toMatchObject({ duplicate: false });
    };
    await record("a", monthStart - HOUR / 2, "1"); // 23:30 on the last day of the month before
    await record("b", monthStart + HOUR / 2, "2");
    await record("c", monthStart + 48 * HOUR, "4");
    await record("g", nextMonth + HOUR, "64");
    await record("d", monthStart + 24 * HOUR, "8"); // late: before c
    await record("e", monthStart + HOUR / 6, "16"); // late: first of its month
    await record("f", monthStart + 48 * HOUR, "32"); // the same instant as c, recorded after it

    const page = await gateway.graphql(MonthExecutions, { from: new Date(monthStart - HOUR).toISOString() }, bearer(tenant.keys.read));
    expect(page.data!.workspace!.executions!.edges.map((e) => e.node)).toEqual([
      { costUsd: "1", monthToDateUsd: "1", billingType: "INCLUDED" }, // a
      { costUsd: "16", monthToDateUsd: "16", billingType: "INCLUDED" }, // e
      { costUsd: "2", monthToDateUsd: "18", billingType: "INCLUDED" }, // b
      { costUsd: "8", monthToDateUsd: "26", billingType: "ON_DEMAND" }, // d
      { costUsd: "4", monthToDateUsd: "30", billingType: "ON_DEMAND" }, // c
      { costUsd: "32", monthToDateUsd: "62", billingType: "ON_DEMAND" }, // f
      { costUsd: "64", monthToDateUsd: "64", billingType: "ON_DEMAND" }, // g: the next month starts again
    ]);
    // What the writes kept is what the costs say, recomputed from scratch.
    const drift = await db.prisma.$queryRawUnsafe<unknown[]>(
      `SELECT id FROM (
        SELECT e.id, e."monthToDateUsd", SUM(e."costUsd") OVER (PARTITION BY date_trunc('month', e."startedAt" AT TIME ZONE 'Asia/Kolkata') ORDER BY e."startedAt", e.id) AS running
        FROM "Execution" e WHERE e."workspaceId" = $1::uuid) t
      WHERE "monthToDateUsd" <> running`,
      tenant.workspaceId,
    );
    expect(drift).toEqual([]);
  });
});
