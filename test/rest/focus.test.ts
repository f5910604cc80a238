// FOCUS 1.3 export, first part: the same rows in JSONL and CSV, reconciled with the ledger, the
// cost equations of each row kind, the metadata's columns, and bad input before any read.
import { parse as parseCsv } from "csv-parse/sync";
import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/domain/api-keys.js";
import { FOCUS_COLUMNS } from "../../src/domain/focus/columns.js";
import { Prisma } from "../../src/db/generated/client.js";
import { seedDemo } from "../../src/seed/demo.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { bearer, startGateway, type TestGateway } from "../helpers/gateway.js";

const D = Prisma.Decimal;
// Real time, so that a purchase made through the API during the test falls in the range.
const DAY = 86_400_000;
const NOW = new Date();
const FROM = Math.floor(NOW.getTime() / DAY) * DAY - 50 * DAY;
const TO = Math.floor(NOW.getTime() / DAY) * DAY + DAY;
const MANDATORY = ["BilledCost", "BillingAccountId", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory",
  "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost", "HostProviderName", "InvoiceIssuerName", "ListCost",
  "ProviderName", "PublisherName", "ServiceCategory", "ServiceName", "ServiceProviderName", "PricingCurrency", "PricingCurrencyEffectiveCost"];

type Row = Record<string, string | number | null>;
interface FocusPageResult {
  focusRows: { hasNextPage: boolean; endCursor: string; edges: { node: Record<string, string | null> }[] };
  focusMetadata: Record<string, unknown>;
}

describe("FOCUS export", () => {
  let t: TestDatabase;
  let gateway: TestGateway;
  let key: string;
  let writeKey: string;
  let workspaceId: string;
  let jsonl: Row[];

  beforeAll(async () => {
    t = await createTestDatabase();
    const demo = await seedDemo(t.db, { now: NOW, days: 60, usageRecords: 3_000 });
    key = demo.demoApiKey;
    workspaceId = demo.workspaces.find((w) => w.slug === "acme-prod")!.id;
    writeKey = (await createApiKey(t.db.prisma, "operator", { name: "w", scopes: ["write:usage"], workspaceId })).secret;
    gateway = await startGateway(t.db);
    const bought = await gateway.graphql(parse(`mutation { purchaseCredits(input: { credits: "5000", amountPaidUsd: "45.50" }) { __typename } }`), {}, bearer(key));
    expect(bought.data).toEqual({ purchaseCredits: { __typename: "CreditTransactionPayload" } });
    const response = await fetch(`${gateway.url}/api/billing/focus-export?from=${FROM}&to=${TO}`, { headers: bearer(key) });
    jsonl = (await response.text()).trim().split("\n").map((line) => JSON.parse(line) as Row);
  });
  afterAll(async () => {
    await gateway.close();
    await t.drop();
  });

  const range = { gte: new Date(FROM), lt: new Date(TO) };

  it("streams JSONL as an attachment with every column, FOCUS columns before x_ columns", async () => {
    const response = await fetch(`${gateway.url}/api/billing/focus-export?from=${FROM}&to=${TO}`, { headers: bearer(key) });
    expect(response.headers.get("content-type")).toMatch(/^application\/jsonl/);
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="focus-export.jsonl"');
    expect(response.headers.get("cache-control")).toBe("no-store");
    await response.body?.cancel();
    const names = FOCUS_COLUMNS.map((c) => c.name);
    const firstCustom = names.findIndex((n) => n.startsWith("x_"));
    expect(names.slice(firstCustom).every((n) => n.startsWith("x_"))).toBe(true);
    for (const row of jsonl) {
      expect(Object.keys(row)).toEqual(names);
      for (const column of MANDATORY) expect([column, row[column]]).not.toEqual([column, null]);
    }
    expect(new Set(jsonl.map((r) => r.ChargeCategory))).toEqual(new Set(["Usage", "Purchase", "Credit", "Adjustment"]));
  });

  it("has the same rows in CSV and JSONL", async () => {
    const response = await fetch(`${gateway.url}/api/billing/focus-export?from=${FROM}&to=${TO}&format=csv`, { headers: bearer(key) });
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="focus-export.csv"');
    const [header, ...rows] = parseCsv(await response.text()) as string[][];
    expect(header).toEqual(FOCUS_COLUMNS.map((c) => c.name));
    expect(rows).toHaveLength(jsonl.length);
    rows.forEach((row, i) => {
      expect(row).toEqual(header!.map((name) => (jsonl[i]![name] === null ? "" : String(jsonl[i]![name]))));
    });
  });

  it("serves the same rows and metadata over GraphQL", async () => {
    const columns = FOCUS_COLUMNS.map((c) => c.name);
    const document = parse(`query FocusPage($from: DateTime!, $to: DateTime!, $after: String) {
      workspace { focusRows(from: $from, to: $to, first: 500, after: $after) { hasNextPage endCursor edges { node { ${columns.join(" ")} } } }
        focusMetadata(from: $from, to: $to) } }`);
    const rows: Record<string, string | null>[] = [];
    let after: string | null = null;
    let metadata: Record<string, unknown> | null = null;
    for (;;) {
      const response: { data: unknown } = await gateway.graphql(document, { from: new Date(FROM).toISOString(), to: new Date(TO).toISOString(), after }, bearer(key));
      const page = (response.data as { workspace: FocusPageResult }).workspace;
      metadata = page.focusMetadata;
      rows.push(...page.focusRows.edges.map((e) => e.node));
      if (!page.focusRows.hasNextPage) break;
      after = page.focusRows.endCursor;
    }
    expect(rows).toEqual(jsonl.map((row) => Object.fromEntries(columns.map((c) => [c, row[c] === null ? null : String(row[c])]))));
    const rest = await (await fetch(`${gateway.url}/api/billing/focus-metadata?from=${FROM}&to=${TO}`, { headers: bearer(key) })).json();
    const stable = (m: Record<string, unknown>) => JSON.stringify(m, (k, v) => (k === "RecencyLastUpdated" ? undefined : v));
    expect(stable(metadata!)).toBe(stable(rest));
    const malformed = await gateway.graphql(document, { from: new Date(FROM).toISOString(), to: new Date(TO).toISOString(), after: "nope" }, bearer(key));
    expect(malformed.status).toBe(400);
  });

  it("reconciles with the ledger: usage credits debited and money charged", async () => {
    const usage = jsonl.filter((r) => r.ChargeCategory === "Usage");
    const debited = await t.db.prisma.creditTransaction.aggregate({ where: { workspaceId, type: "USAGE", occurredAt: range }, _sum: { amount: true }, _count: true });
    expect(usage).toHaveLength(debited._count);
    expect(usage.reduce((sum, r) => sum.plus(String(r.x_Credits)), new D(0)).toFixed()).toBe(debited._sum.amount!.toFixed());
    const purchases = await t.db.prisma.creditTransaction.aggregate({ where: { workspaceId, type: "PURCHASE", occurredAt: range }, _sum: { moneyAmount: true } });
    expect(jsonl.reduce((sum, r) => sum.plus(String(r.BilledCost)), new D(0)).toFixed()).toBe((purchases._sum.moneyAmount ?? new D(0)).toFixed());
  });

  it("keeps each row kind's cost equations", () => {
    for (const r of jsonl) {
      const n = (c: string) => new D(String(r[c]));
      if (r.PricingQuantity !== null && r.ListUnitPrice !== null) expect(n("ListCost").eq(n("ListUnitPrice").mul(n("PricingQuantity")))).toBe(true);
      if (r.ChargeCategory === "Usage") {
        expect([r.ChargeFrequency, n("BilledCost").isZero(), r.SkuId !== null, r.PricingUnit === r.ConsumedUnit]).toEqual(["Usage-Based", true, true, true]);
        expect(n("ContractedCost").eq(n("ContractedUnitPrice").mul(n("PricingQuantity")))).toBe(true);
        expect(n("PricingCurrencyEffectiveCost").eq(n("x_Credits").neg())).toBe(true);
      }
      if (r.ChargeCategory === "Purchase") {
        expect([r.ChargeFrequency, n("EffectiveCost").isZero(), n("ContractedCost").eq(n("BilledCost"))]).toEqual(["One-Time", true, true]);
      }
      if (r.ChargeCategory === "Credit" || r.ChargeCategory === "Adjustment") {
        for (const c of ["EffectiveCost", "ListCost", "ContractedCost"]) expect(n(c).eq(n("BilledCost"))).toBe(true);
      }
      expect(String(r.ChargePeriodStart)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(String(r.ChargePeriodStart) < String(r.ChargePeriodEnd)).toBe(true);
      if (r.Tags !== null) expect(Object.keys(JSON.parse(String(r.Tags))).every((k) => k.startsWith("bg/"))).toBe(true);
    }
  });

  it("describes exactly the file's columns in its metadata", async () => {
    const response = await fetch(`${gateway.url}/api/billing/focus-metadata?from=${FROM}&to=${TO}`, { headers: bearer(key) });
    const metadata = await response.json();
    const schema = metadata.Schema[0];
    expect(schema.FocusVersion).toBe("1.3");
    expect(schema.ColumnDefinition.map((c: { ColumnName: string }) => c.ColumnName)).toEqual(Object.keys(jsonl[0]!));
    const byName = Object.fromEntries(schema.ColumnDefinition.map((c: { ColumnName: string }) => [c.ColumnName, c]));
    expect(byName.Tags.ProviderTagPrefixes).toEqual(["bg/"]);
    expect([byName.ProviderName.Deprecated, byName.PublisherName.Deprecated]).toEqual([true, true]);
    expect(metadata.DatasetInstance[0]).toMatchObject({ FocusDatasetId: "CostAndUsage", DatasetInstanceId: metadata.Recency[0].DatasetInstanceId });
    const sectors = metadata.Recency[0].TimeSectors as { TimeSectorComplete: boolean; TimeSectorStart: string }[];
    expect(sectors).toHaveLength((TO - FROM) / DAY);
    expect(sectors.map((s) => s.TimeSectorComplete)).toEqual([...Array(sectors.length - 1).fill(true), false]); // today is not over
  });

  it("rejects bad input with a 4xx naming the parameter, before reading rows", async () => {
    const cases: [string, number, string][] = [
      [`to=${TO}`, 400, "from"],
      [`from=yesterday&to=${TO}`, 400, "from"],
      [`from=${TO}&to=${FROM}`, 400, "from"],
      [`from=${FROM - 400 * 86_400_000}&to=${TO}`, 400, "to"],
      [`from=${FROM}&to=${TO}&format=xml`, 400, "format"],
    ];
    for (const [query, status, param] of cases) {
      const response = await fetch(`${gateway.url}/api/billing/focus-export?${query}`, { headers: bearer(key) });
      expect([query, response.status, (await response.json()).error.param]).toEqual([query, status, param]);
    }
    expect((await fetch(`${gateway.url}/api/billing/focus-metadata?from=${FROM}`, { headers: bearer(key) })).status).toBe(400);
    expect((await fetch(`${gateway.url}/api/billing/focus-export?from=${FROM}&to=${TO}`, { headers: bearer(writeKey) })).status).toBe(403);
  });
});
