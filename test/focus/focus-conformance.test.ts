// FOCUS 1.3 conformance of the gateway's own exports: several ranges of demo data (plus purchases,
// a grant, an adjustment and an execution charged in credits made through the API), each in
// JSONL and CSV with its metadata, pass the checker, hold the same rows, and reconcile with the
// credit ledger.
import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/db/generated/client.js";
import { seedDemo } from "../../src/seed/demo.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { bearer, startGateway, type TestGateway } from "../helpers/gateway.js";
import * as X from "./exact-decimal.js";
import { checkFocusFile, readCsv, readJsonl, type CheckOptions, type FocusFile } from "./focus-checker.js";

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
];

interface Export {
  jsonl: FocusFile & { lineProblems: string[] };
  csv: FocusFile;
  metadata: Record<string, unknown>;
}

describe("FOCUS 1.3 conformance of the exports", () => {
  let t: TestDatabase;
  let gateway: TestGateway;
  let key: string;
  let workspaceId: string;
  const exports = new Map<string, Export>();

  beforeAll(async () => {
    t = await createTestDatabase();
    const demo = await seedDemo(t.db, { now: new Date(NOW), days: 90, usageRecords: 6_000 });
    key = demo.demoApiKey;
    workspaceId = demo.workspaces.find((w) => w.slug === "acme-prod")!.id;
    gateway = await startGateway(t.db);
    const record = await t.db.prisma.usageRecord.findFirstOrThrow({ where: { workspaceId, occurredAt: { lt: new Date(NOW - 5 * DAY) } }, orderBy: { occurredAt: "desc" } });
    const hour = Math.floor(record.occurredAt.getTime() / HOUR) * HOUR;
    RANGES["the hour of a usage record"] = [hour, hour + HOUR];
    const mutations = [
      `purchaseCredits(input: { credits: "3", amountPaidUsd: "1.00" }) { __typename }`, // 0.333… per credit
      `purchaseCredits(input: { credits: "5000", amountPaidUsd: "45.50", description: "Top-up, \\"Q4\\" pack, 5,000 credits" }) { __typename }`,
      `grantCredits(input: { credits: "100", expiresAt: "${new Date(NOW + 30 * DAY).toISOString()}" }) { __typename }`,
      `adjustCredits(input: { credits: "-12.5", description: "Metering error, corrected" }) { __typename }`,
      `recordExecution(input: { workflow: "nightly-report", trigger: "schedule", model: "gpt-4o", costUsd: "0.42", chargeCredits: true }) { __typename }`,
    ];
    for (const mutation of mutations) {
      const result = await gateway.graphql(parse(`mutation { ${mutation} }`), {}, bearer(key));
      expect(Object.values(result.data as object)[0]).toMatchObject({ __typename: expect.stringMatching(/Payload$/) });
    }
    for (const [name, [from, to]] of Object.entries(RANGES)) {
      const get = (path: string) => fetch(`${gateway.url}/api/billing/${path}from=${from}&to=${to}`, { headers: bearer(key) });
      const [jsonl, csv, metadata] = await Promise.all([get("focus-export?"), get("focus-export?format=csv&"), get("focus-metadata?")]);
      expect([jsonl.status, csv.status, metadata.status]).toEqual([200, 200, 200]);
      exports.set(name, { jsonl: readJsonl(await jsonl.text()), csv: readCsv(await csv.text()), metadata: await metadata.json() });
    }
  });
  afterAll(async () => {
    await gateway.close();
    await t.drop();
  });

  for (const name of Object.keys(RANGES)) {
    describe(name, () => {
      it("passes the FOCUS 1.3 checker in JSONL and CSV, with its metadata", () => {
        const { jsonl, csv, metadata } = exports.get(name)!;
        expect(checkFocusFile(jsonl, { capabilities: CAPABILITIES, metadata })).toEqual([]);
        expect(checkFocusFile(csv, { capabilities: CAPABILITIES, metadata })).toEqual([]);
      });

      it("holds the same rows in both formats, and time sectors that cover exactly the range", () => {
        const { jsonl, csv, metadata } = exports.get(name)!;
        const [from, to] = RANGES[name]!;
        expect(csv.rows.length).toBe(jsonl.rows.length);
        if (jsonl.rows.length > 0) expect(jsonl.columns).toEqual(csv.columns);
        expect(csv.rows.map((row) => row.map((cell) => cell.text))).toEqual(jsonl.rows.map((row) => row.map((cell) => cell.text)));
        const sectors = (metadata.Recency as { TimeSectors: { TimeSectorStart: string; TimeSectorEnd: string }[] }[])[0]!.TimeSectors;
        expect(sectors[0]!.TimeSectorStart).toBe(`${new Date(Math.floor(from / 1000) * 1000).toISOString().slice(0, 19)}Z`);
        expect(sectors.at(-1)!.TimeSectorEnd).toBe(`${new Date(Math.ceil(to / 1000) * 1000).toISOString().slice(0, 19)}Z`);
        sectors.slice(1).forEach((sector, i) => expect(sector.TimeSectorStart).toBe(sectors[i]!.TimeSectorEnd));
      });

      it("reconciles with the ledger: credits debited for usage, every credit moved, money charged", async () => {
        const { jsonl } = exports.get(name)!;
        const [from, to] = RANGES[name]!;
        if (!name.includes("before any data")) expect(jsonl.rows.length).toBeGreaterThan(0);
        const column = (c: string) => jsonl.columns.indexOf(c);
        const rows = jsonl.rows.map((row) => (c: string) => row[column(c)]?.text ?? null);
        const total = (values: (string | null)[]) => X.toText(values.reduce((sum, v) => X.add(sum, X.parseExact(v ?? "0")!), X.ZERO));
        const exact = (value: Prisma.Decimal | null) => X.toText(X.parseExact(value?.toFixed() ?? "0")!);
        const ledger = (where: Prisma.CreditTransactionWhereInput) =>
          t.db.prisma.creditTransaction.aggregate({
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

  it("exercised every kind of row the ledger has", () => {
    const { jsonl } = exports.get("everything, ending in the future")!;
    const kind = jsonl.columns.indexOf("x_CreditTransactionType");
    const category = jsonl.columns.indexOf("ChargeCategory");
    const kinds = new Set(jsonl.rows.map((row) => `${row[kind]!.text}:${row[category]!.text}`));
    expect([...kinds].sort()).toEqual(["adjustment:Adjustment", "expiration:Adjustment", "grant:Credit", "purchase:Purchase", "refund:Credit", "usage:Usage"]);
    const execution = jsonl.rows.filter((row) => row[jsonl.columns.indexOf("SkuId")]!.text === "workflow-execution");
    expect(execution).toHaveLength(1);
  });
});
