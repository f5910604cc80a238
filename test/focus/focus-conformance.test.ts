// FOCUS 1.3 conformance of the gateway's own exports: several ranges of demo data (plus purchases,
// a grant drawn first, an adjustment, its refund and an execution charged in credits made through
// the API), each in JSONL and CSV with its metadata and with its contract commitments, pass the
// checker, hold the same rows, and reconcile with the credit ledger and its lots.
import { parse } from "graphql";
import { describe, expect } from "vitest";
import type { Prisma } from "../../src/db/generated/client.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer } from "../helpers/gateway.js";
import * as X from "./exact-decimal.js";
import { checkContractApplied, checkFocusFile, readCsv, readJsonl, type CheckOptions, type FocusFile } from "./focus-checker.js";
import { decimalText, readParquet, type ParquetRead } from "./read-parquet.js";
import { FOCUS_COLUMNS } from "../../src/domain/focus/columns.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.now();
const today = Math.floor(NOW / DAY) * DAY;
const lastMonth = (() => {
  const d = new Date(NOW);
  return [Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1), Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)] as const;
})();

const RANGES: Record<string, [number, number]> = {
  "everything, ending in the future": [NOW - 91 * DAY, NOW + HOUR],
  "the last seven whole days and today": [today - 7 * DAY, today + DAY],
  "odd millisecond boundaries": [NOW - 40 * DAY + 12_345, NOW - 10 * DAY - 777],
  "last calendar month": [...lastMonth],
  "the hour of a usage record": [0, 0], // set once the demo is seeded
  "a year ago, before any data": [NOW - 400 * DAY, NOW - 300 * DAY],
};

/** What this provider supports, so the Conditional columns it triggers must be present. */
const CAPABILITIES: CheckOptions["capabilities"] = [
  "BILLING_ACCOUNT_TYPES", "VIRTUAL_CURRENCY", "UNIT_PRICING", "NEGOTIATED_PRICING", "USAGE_MEASUREMENT", "SUB_ACCOUNTS", "RESOURCES", "TAGGING",
  "CONTRACT_COMMITMENTS",
];

interface Files {
  jsonl: FocusFile & { lineProblems: string[] };
  csv: FocusFile;
  parquet: ParquetRead;
  metadata: Record<string, unknown>;
}

interface Export extends Files {
  range: [number, number];
  commitments: Files;
}

/** The demo, the API-made ledger rows, and each range exported in both formats with its metadata. */
const test = gatewayTest({ now: new Date(NOW), demo: { days: 90, usageRecords: 6_000 } }).extend("focus", { scope: "file" }, async ({ db, gateway, acmeProd: { key, workspaceId } }) => {
  const record = await db.prisma.usageRecord.findFirstOrThrow({ where: { workspaceId, occurredAt: { lt: new Date(NOW - 5 * DAY) } }, orderBy: { occurredAt: "desc" } });
  const hour = Math.floor(record.occurredAt.getTime() / HOUR) * HOUR;
  const ranges: Record<string, [number, number]> = { ...RANGES, "the hour of a usage record": [hour, hour + HOUR] };
  const mutations = [
    `purchaseCredits(input: { credits: "3", amountPaidUsd: "1.00" }) { __typename }`, // 0.333… per credit
    `purchaseCredits(input: { credits: "5000", amountPaidUsd: "45.50", description: "Top-up, \\"Q4\\" pack, 5,000 credits" }) { __typename }`,
    // Priority 1: drawn before the demo's lots, so the adjustment and the execution take free credits.
    `grantCredits(input: { credits: "100", priority: 1, expiresAt: "${new Date(NOW + 30 * DAY).toISOString()}" }) { __typename }`,
    `adjustCredits(input: { credits: "-12.5", description: "Metering error, corrected" }) { ... on CreditTransactionPayload { transaction { id } } }`,
    `recordExecution(input: { workflow: "nightly-report", trigger: "schedule", model: "gpt-4o", costUsd: "0.42", chargeCredits: true }) { __typename }`,
  ];
  let adjustment = "";
  for (const mutation of mutations) {
    const result = await gateway.graphql(parse(`mutation { ${mutation} }`), {}, bearer(key));
    const payload = Object.values(result.data as object)[0] as { __typename?: string; transaction?: { id: string } };
    if (payload.transaction) adjustment = payload.transaction.id;
    else expect(payload).toMatchObject({ __typename: expect.stringMatching(/Payload$/) });
  }
  // A refund of free credits: a Credit row, where the demo's refund of bought credits is an Adjustment.
  const refund = await gateway.graphql(parse(`mutation { refundCredits(input: { transactionId: "${adjustment}" }) { __typename } }`), {}, bearer(key));
  expect(refund.data).toEqual({ refundCredits: { __typename: "CreditTransactionPayload" } });

  const exports = new Map<string, Export>();
  for (const [name, range] of Object.entries(ranges)) {
    const files = async (dataset: string): Promise<Files> => {
      const get = (path: string) => fetch(`${gateway.url}/api/billing/${path}from=${range[0]}&to=${range[1]}&dataset=${dataset}`, { headers: bearer(key) });
      const [jsonl, csv, parquet, metadata] = await Promise.all([get("focus-export?"), get("focus-export?format=csv&"), get("focus-export?format=parquet&"), get("focus-metadata?")]);
      expect([jsonl.status, csv.status, parquet.status, metadata.status]).toEqual([200, 200, 200, 200]);
      return { jsonl: readJsonl(await jsonl.text()), csv: readCsv(await csv.text()), parquet: await readParquet(Buffer.from(await parquet.arrayBuffer())), metadata: await metadata.json() };
    };
    exports.set(name, { range, ...(await files("cost-and-usage")), commitments: await files("contract-commitment") });
  }
  return { exports, workspaceId };
});

/** The CSV's rows as Parquet holds them: the same values, decimals without trailing zeros (their Parquet scale adds them). */
function valuesOf(csv: FocusFile, parquet: ParquetRead) {
  const decimal = csv.columns.map((name) => parquet.types[name]?.startsWith("DECIMAL"));
  return csv.rows.map((row) => row.map((cell, i) => ({ text: cell.text !== null && decimal[i] ? decimalText(cell.text) : cell.text, kind: cell.text === null ? "null" : decimal[i] ? "number" : "string" })));
}

describe("FOCUS 1.3 conformance of the exports", () => {
  for (const name of Object.keys(RANGES)) {
    describe(name, () => {
      test("passes the FOCUS 1.3 checker in JSONL, CSV and Parquet, with its metadata", ({ focus: { exports } }) => {
        const { jsonl, csv, parquet, metadata } = exports.get(name)!;
        expect(checkFocusFile(jsonl, { capabilities: CAPABILITIES, metadata })).toEqual([]);
        expect(checkFocusFile(csv, { capabilities: CAPABILITIES, metadata })).toEqual([]);
        expect(checkFocusFile(parquet, { capabilities: CAPABILITIES, metadata })).toEqual([]);
      });

      test("has contract commitments that pass the checker and that every ContractApplied names", ({ focus: { exports } }) => {
        const { jsonl, commitments } = exports.get(name)!;
        const options = { dataset: "ContractCommitment" as const, capabilities: [], metadata: commitments.metadata };
        expect(checkFocusFile(commitments.jsonl, options)).toEqual([]);
        expect(checkFocusFile(commitments.csv, options)).toEqual([]);
        expect(checkFocusFile(commitments.parquet, options)).toEqual([]);
        expect(commitments.csv.rows.map((row) => row.map((cell) => cell.text))).toEqual(commitments.jsonl.rows.map((row) => row.map((cell) => cell.text)));
        expect(commitments.parquet.rows).toEqual(valuesOf(commitments.csv, commitments.parquet));
        expect(checkContractApplied(jsonl, commitments.jsonl)).toEqual([]);
        const applied = jsonl.rows.filter((row) => row[jsonl.columns.indexOf("ContractApplied")]!.text !== null);
        if (jsonl.rows.some((row) => row[jsonl.columns.indexOf("ChargeCategory")]!.text === "Usage")) expect(applied.length).toBeGreaterThan(0);
      });

      test("holds the same rows in every format, and time sectors that cover exactly the range", ({ focus: { exports } }) => {
        const { jsonl, csv, parquet, metadata, range: [from, to] } = exports.get(name)!;
        expect(csv.rows.length).toBe(jsonl.rows.length);
        if (jsonl.rows.length > 0) expect(jsonl.columns).toEqual(csv.columns);
        expect(csv.rows.map((row) => row.map((cell) => cell.text))).toEqual(jsonl.rows.map((row) => row.map((cell) => cell.text)));
        expect(parquet.columns).toEqual(FOCUS_COLUMNS.map((c) => c.name)); // even with no rows: Parquet has a schema
        expect(parquet.rows.length).toBe(csv.rows.length);
        expect(parquet.rows).toEqual(valuesOf(csv, parquet));
        const sectors = (metadata.Recency as { TimeSectors: { TimeSectorStart: string; TimeSectorEnd: string }[] }[])[0]!.TimeSectors;
        expect(sectors[0]!.TimeSectorStart).toBe(`${new Date(Math.floor(from / 1000) * 1000).toISOString().slice(0, 19)}Z`);
        expect(sectors.at(-1)!.TimeSectorEnd).toBe(`${new Date(Math.ceil(to / 1000) * 1000).toISOString().slice(0, 19)}Z`);
        sectors.slice(1).forEach((sector, i) => expect(sector.TimeSectorStart).toBe(sectors[i]!.TimeSectorEnd));
      });

      test("reconciles with the ledger: credits debited for usage, every credit moved, money charged", async ({ db, focus: { exports, workspaceId } }) => {
        const { jsonl, range: [from, to] } = exports.get(name)!;
        if (!name.includes("before any data")) expect(jsonl.rows.length).toBeGreaterThan(0);
        const column = (c: string) => jsonl.columns.indexOf(c);
        const rows = jsonl.rows.map((row) => (c: string) => row[column(c)]?.text ?? null);
        const total = (values: (string | null)[]) => X.toText(values.reduce((sum, v) => X.add(sum, X.parseExact(v ?? "0")!), X.ZERO));
        const exact = (value: Prisma.Decimal | null) => X.toText(X.parseExact(value?.toFixed() ?? "0")!);
        const ledger = (where: Prisma.CreditTransactionWhereInput) =>
          db.prisma.creditTransaction.aggregate({
            where: { workspaceId, occurredAt: { gte: new Date(from), lt: new Date(to) }, ...where },
            _sum: { amount: true, moneyAmount: true },
            _count: true,
          });

        const metered = rows.filter((r) => r("x_UsageRecordId") !== null);
        const debited = await ledger({ type: "USAGE", usageRecordId: { not: null } });
        expect(metered).toHaveLength(debited._count);
        expect(total(metered.map((r) => r("x_Credits")))).toBe(exact(debited._sum.amount));

        const consumed = await ledger({ type: "USAGE" });
        const usage = rows.filter((r) => r("ChargeCategory") === "Usage");
        expect(total(usage.map((r) => r("PricingCurrencyEffectiveCost")))).toBe(X.toText(X.sub(X.ZERO, X.parseExact(exact(consumed._sum.amount))!)));

        const everything = await ledger({});
        expect(total(rows.map((r) => r("x_Credits")))).toBe(exact(everything._sum.amount));

        const purchases = await ledger({ type: "PURCHASE" });
        expect(total(rows.map((r) => r("BilledCost")))).toBe(exact(purchases._sum.moneyAmount));
      });
    });
  }

  test("exercised every kind of row the ledger has", ({ focus: { exports } }) => {
    const { jsonl } = exports.get("everything, ending in the future")!;
    const kind = jsonl.columns.indexOf("x_CreditTransactionType");
    const category = jsonl.columns.indexOf("ChargeCategory");
    const kinds = new Set(jsonl.rows.map((row) => `${row[kind]!.text}:${row[category]!.text}`));
    expect([...kinds].sort()).toEqual([
      "adjustment:Adjustment", "expiration:Adjustment", "grant:Credit", "purchase:Purchase", "refund:Adjustment", "refund:Credit", "usage:Usage",
    ]);
    const execution = jsonl.rows.filter((row) => row[jsonl.columns.indexOf("SkuId")]!.text === "workflow-execution");
    expect(execution).toHaveLength(1);
  });

  test("reconciles money to the lots exactly: purchases billed = every other row's effective cost + bought credits still remaining", async ({ db, focus: { exports, workspaceId } }) => {
    const { jsonl } = exports.get("everything, ending in the future")!;
    const value = (row: FocusFile["rows"][number], c: string) => X.parseExact(row[jsonl.columns.indexOf(c)]!.text ?? "0")!;
    const isPurchase = (row: FocusFile["rows"][number]) => row[jsonl.columns.indexOf("ChargeCategory")]!.text === "Purchase";
    const billed = jsonl.rows.filter(isPurchase).reduce((sum, row) => X.add(sum, value(row, "BilledCost")), X.ZERO);
    const effective = jsonl.rows.filter((row) => !isPurchase(row)).reduce((sum, row) => X.add(sum, value(row, "EffectiveCost")), X.ZERO);
    const lots = await db.prisma.creditLot.aggregate({ where: { workspaceId }, _sum: { remainingCostUsd: true } });
    const remaining = X.parseExact(lots._sum.remainingCostUsd!.toFixed())!;
    expect(X.compare(billed, X.ZERO)).toBeGreaterThan(0);
    expect(X.compare(remaining, X.ZERO)).toBeGreaterThan(0);
    expect(X.toText(billed)).toBe(X.toText(X.add(effective, remaining)));
  });
});
