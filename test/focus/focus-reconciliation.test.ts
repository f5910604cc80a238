// FOCUS money reconciles with the lots on random histories made through the API: purchases of any
// price and priority, grants, metered usage, charged executions, negative adjustments, refunds,
// overdraft, and time passing so that lots expire. Over a window that holds the whole history,
// Σ BilledCost of Purchase rows = Σ EffectiveCost of every other row + the cost of the bought
// credits still remaining, to the last of the 8 decimal places the ledger keeps; ContractApplied
// gives exactly the credits and cost the purchase lots gave; and in any window, every commitment
// that a row applies is in that window's Contract Commitment file.
import { parse } from "graphql";
import { parse as parseLossless } from "lossless-json";
import { describe, expect } from "vitest";
import { Prisma } from "../../src/db/generated/client.js";
import { Random } from "../../src/seed/random.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, operatorKey, type TestGateway } from "../helpers/gateway.js";
import { ledgerViolations } from "../helpers/ledger-invariants.js";
import * as X from "./exact-decimal.js";
import { checkContractApplied, checkFocusFile, readJsonl } from "./focus-checker.js";

const T0 = Date.parse("2027-02-10T08:00:00Z");
const HOUR = 3_600_000;
const HISTORIES = 6;
const STEPS = 45;

const test = gatewayTest({ now: new Date(T0) }).extend("sku", { scope: "file" }, async ({ db }) => {
  await db.prisma.sku.create({
    data: {
      id: "recon-gpu-seconds", name: "GPU seconds", meter: "GPU time", unit: "Seconds", listPriceUsd: "0.0007", creditsPerUnit: "0.0613",
      resourceKind: "SANDBOX", serviceName: "Sandboxes", serviceCategory: "Compute", serviceSubcategory: "Containers",
    },
  });
  return "recon-gpu-seconds";
});

/** One random history in a workspace of its own; returns the workspace and its admin key. */
async function randomHistory(db: Parameters<typeof operatorKey>[0], gateway: TestGateway, clock: { now(): Date; advance(ms: number): void }, sku: string, seed: number) {
  const rng = new Random(seed);
  const org = await db.prisma.organization.create({ data: { slug: `recon-${seed}`, name: `Recon ${seed}` } });
  const workspace = await db.prisma.workspace.create({
    data: { slug: `recon-${seed}-main`, name: `Recon ${seed}`, organizationId: org.id, allowOverdraft: seed % 3 === 0, creditPriceUsd: "0.0125" },
  });
  const key = await operatorKey(db, { name: "admin", scopes: ["read:billing", "write:usage", "admin"], workspaceId: workspace.id });
  const call = (document: string, variables: Record<string, unknown> = {}) => gateway.graphql(parse(document), variables, bearer(key));
  const credits = (max: number) => `${rng.int(1, max)}.${String(rng.int(0, 999_999)).padStart(6, "0")}`;
  const expiry = () => (rng.next() < 0.5 ? new Date(clock.now().getTime() + rng.int(1, 72) * HOUR).toISOString() : null);
  let usage = 0;
  for (let step = 0; step < STEPS; step++) {
    const action = rng.weighted([["purchase", 14], ["grant", 9], ["usage", 34], ["adjust", 9], ["execution", 9], ["refund", 10], ["wait", 15]] as const);
    let response;
    if (action === "purchase") {
      response = await call(`mutation($i: PurchaseCreditsInput!) { purchaseCredits(input: $i) { __typename } }`, {
        i: { credits: credits(5_000), amountPaidUsd: `${rng.int(0, 120)}.${String(rng.int(0, 99)).padStart(2, "0")}`, priority: rng.int(1, 100), expiresAt: expiry() },
      });
    } else if (action === "grant") {
      response = await call(`mutation($i: GrantCreditsInput!) { grantCredits(input: $i) { __typename } }`, { i: { credits: credits(800), priority: rng.int(1, 100), expiresAt: expiry() } });
    } else if (action === "usage") {
      const records = Array.from({ length: rng.int(1, 8) }, () => ({ sku, units: String(rng.int(1, 20_000)), idempotencyKey: `r-${seed}-${usage++}` }));
      response = await call(`mutation($r: [UsageRecordInput!]!) { recordUsage(records: $r) { __typename } }`, { r: records });
    } else if (action === "adjust") {
      response = await call(`mutation($c: Decimal!) { adjustCredits(input: { credits: $c, description: "correction" }) { __typename } }`, { c: `-${credits(300)}` });
    } else if (action === "execution") {
      response = await call(`mutation($c: Decimal!) { recordExecution(input: { workflow: "etl", trigger: "api", model: "m", costUsd: $c, chargeCredits: true }) { __typename } }`, {
        c: `${rng.int(0, 3)}.${String(rng.int(1, 99)).padStart(2, "0")}`,
      });
    } else if (action === "refund") {
      const debits = await call(`{ workspace { creditTransactions(first: 30, types: [USAGE, ADJUSTMENT]) { nodes { id amount } } } }`);
      const nodes = (debits.data as { workspace: { creditTransactions: { nodes: { id: string; amount: string }[] } } }).workspace.creditTransactions.nodes.filter((n) => n.amount.startsWith("-"));
      if (nodes.length === 0) continue;
      const debit = rng.pick(nodes);
      // All that is left of it, or about a third (a refund larger than what is left is refused).
      const part = rng.next() < 0.5 ? null : new Prisma.Decimal(debit.amount).neg().div(3).toDecimalPlaces(6).toFixed();
      response = await call(`mutation($i: RefundCreditsInput!) { refundCredits(input: $i) { __typename } }`, { i: { transactionId: debit.id, ...(part ? { credits: part } : {}) } });
    } else {
      clock.advance(rng.int(1, 30) * HOUR + rng.int(0, 3_599_999));
      continue;
    }
    // Every answer is a result, never an internal error; running dry or refunding twice are refusals.
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    const typename = (Object.values(response.data as object)[0] as { __typename: string }).__typename;
    expect(["CreditTransactionPayload", "RecordUsagePayload", "RecordExecutionPayload", "InsufficientCreditsError", "ValidationError"]).toContain(typename);
  }
  return { workspaceId: workspace.id, key };
}

describe("FOCUS reconciliation with the lots", () => {
  for (let seed = 1; seed <= HISTORIES; seed++) {
    test(`history ${seed}: purchases billed = other rows' effective cost + bought credits remaining, exactly`, async ({ db, gateway, clock, sku }) => {
      const { workspaceId, key } = await randomHistory(db, gateway, clock, sku, seed);
      clock.advance(HOUR);
      const range = `from=${T0 - HOUR}&to=${clock.now().getTime() + HOUR}`;
      const get = (path: string, dataset: string) => fetch(`${gateway.url}/api/billing/${path}?${range}&dataset=${dataset}`, { headers: bearer(key) });
      const file = async (dataset: string) => ({ file: readJsonl(await (await get("focus-export", dataset)).text()), metadata: await (await get("focus-metadata", dataset)).json() });
      const [{ file: rows, metadata }, commitment] = [await file("cost-and-usage"), await file("contract-commitment")];
      const commitments = commitment.file;
      expect(checkFocusFile(rows, { capabilities: ["VIRTUAL_CURRENCY", "CONTRACT_COMMITMENTS"], metadata })).toEqual([]);
      expect(checkFocusFile(commitments, { dataset: "ContractCommitment", capabilities: [], metadata: commitment.metadata })).toEqual([]);
      expect(checkContractApplied(rows, commitments)).toEqual([]);

      const column = (name: string) => rows.columns.indexOf(name);
      const sum = (filter: (category: string) => boolean, name: string) =>
        rows.rows.filter((row) => filter(row[column("ChargeCategory")]!.text!)).reduce((total, row) => X.add(total, X.parseExact(row[column(name)]!.text!)!), X.ZERO);
      const billed = sum((c) => c === "Purchase", "BilledCost");
      const effective = sum((c) => c !== "Purchase", "EffectiveCost");
      const lots = await db.prisma.creditLot.aggregate({ where: { workspaceId }, _sum: { remainingCostUsd: true } });
      expect(X.toText(billed)).toBe(X.toText(X.add(effective, X.parseExact(lots._sum.remainingCostUsd?.toFixed() ?? "0")!)));
      expect(await ledgerViolations(db, workspaceId)).toEqual({});
      // The histories are not trivial: money was paid and some of it burned.
      expect(X.compare(billed, X.ZERO)).toBeGreaterThan(0);
      expect(X.compare(effective, X.ZERO)).not.toBe(0);

      // ContractApplied names every credit a purchase lot gave, and its cost: no more, no less.
      const applied = appliedTotals(rows);
      const purchaseLots = await db.prisma.creditLot.findMany({ where: { workspaceId, source: "PURCHASE" }, select: { id: true } });
      const fromPurchases = await db.prisma.creditAllocation.aggregate({ where: { workspaceId, lotId: { in: purchaseLots.map((lot) => lot.id) } }, _sum: { credits: true, costUsd: true } });
      expect([X.toText(applied.quantity), X.toText(applied.cost)]).toEqual([
        X.toText(X.parseExact(fromPurchases._sum.credits?.toFixed() ?? "0")!), X.toText(X.parseExact(fromPurchases._sum.costUsd?.toFixed() ?? "0")!),
      ]);
      expect(X.compare(applied.quantity, X.ZERO)).toBeGreaterThan(0);

      // Any window: what its rows apply is in its commitments file.
      const end = clock.now().getTime() + HOUR;
      for (let from = T0 - HOUR; from < end; from += 18 * HOUR) {
        const window = `from=${from}&to=${Math.min(end, from + 18 * HOUR)}`;
        const get = async (dataset: string) => readJsonl(await (await fetch(`${gateway.url}/api/billing/focus-export?${window}&dataset=${dataset}`, { headers: bearer(key) })).text());
        expect(checkContractApplied(await get("cost-and-usage"), await get("contract-commitment")), window).toEqual([]);
      }
    });
  }

  test("a window's commitments include a purchase used after its term, and one that settled overdraft later", async ({ db, gateway, clock, sku }) => {
    const org = await db.prisma.organization.create({ data: { slug: "recon-edges", name: "Recon edges" } });
    const workspace = await db.prisma.workspace.create({ data: { slug: "recon-edges-main", name: "Edges", organizationId: org.id, allowOverdraft: true } });
    const key = await operatorKey(db, { name: "admin", scopes: ["read:billing", "write:usage", "admin"], workspaceId: workspace.id });
    const call = (document: string, variables: Record<string, unknown> = {}) => gateway.graphql(parse(document), variables, bearer(key));
    const usage = (idempotencyKey: string) => call(`mutation($r: [UsageRecordInput!]!) { recordUsage(records: $r) { __typename } }`, { r: [{ sku, units: "1000", idempotencyKey }] });
    const exportWindow = async (from: number, to: number) => {
      const get = async (dataset: string) => readJsonl(await (await fetch(`${gateway.url}/api/billing/focus-export?from=${from}&to=${to}&dataset=${dataset}`, { headers: bearer(key) })).text());
      return { rows: await get("cost-and-usage"), commitments: await get("contract-commitment") };
    };
    const start = clock.now().getTime();
    // Overdraft first, settled two hours later by a purchase: the usage's window ends before the purchase.
    await usage("edge-overdraft");
    clock.advance(2 * HOUR);
    await call(`mutation { purchaseCreditsWithoutExpiry: purchaseCredits(input: { credits: "5000", amountPaidUsd: "50.00" }) { __typename } }`);
    const early = await exportWindow(start - HOUR, start + HOUR);
    expect(early.commitments.rows).toHaveLength(1);
    expect(checkContractApplied(early.rows, early.commitments)).toEqual([]);
    // The same purchase, which has no expiry, used 400 days later: long after its 365-day term.
    clock.advance(400 * 24 * HOUR);
    await usage("edge-late");
    const late = await exportWindow(clock.now().getTime() - HOUR, clock.now().getTime() + HOUR);
    expect(late.commitments.rows).toHaveLength(1);
    expect(appliedTotals(late.rows).quantity).not.toEqual(X.ZERO);
    expect(checkContractApplied(late.rows, late.commitments)).toEqual([]);
  });
});

/** What the rows' ContractApplied elements give, added up. */
function appliedTotals(file: ReturnType<typeof readJsonl>) {
  const column = file.columns.indexOf("ContractApplied");
  let quantity = X.ZERO;
  let cost = X.ZERO;
  for (const row of file.rows) {
    const json = row[column]!.text;
    if (!json) continue;
    // Read losslessly: the amounts are exact decimals, not floats.
    for (const element of (parseLossless(json) as { Elements: Record<string, unknown>[] }).Elements) {
      quantity = X.add(quantity, X.parseExact(String(element.ContractCommitmentAppliedQuantity))!);
      cost = X.add(cost, X.parseExact(String(element.ContractCommitmentAppliedCost))!);
    }
  }
  return { quantity, cost };
}
