// The FOCUS routes: JSONL, CSV and GraphQL hold the same rows (one domain function), the cost
// equations of each row kind, the metadata's columns, bad input refused before any read, and
// access as for the rest of the gateway. Conformance and reconciliation: test/focus/.
import http from "node:http";
import zlib from "node:zlib";
import { parse } from "graphql";
import { describe, expect } from "vitest";
import { signSessionToken } from "../../src/auth/session-token.js";
import { COMMITMENT_COLUMNS, FOCUS_COLUMNS } from "../../src/domain/focus/columns.js";
import { Prisma } from "../../src/db/generated/client.js";
import { readCsv, readJsonl, type FocusFile } from "../focus/focus-checker.js";
import { readParquet } from "../focus/read-parquet.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, operatorKey, TEST_JWT_SECRET, type TestGateway } from "../helpers/gateway.js";

// The process's time (moved by faketime too), at an hour, where the demo ends and the clock stands.
const DAY = 86_400_000;
const NOW = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
const FROM = Math.floor(NOW.getTime() / DAY) * DAY - 50 * DAY;
const TO = Math.floor(NOW.getTime() / DAY) * DAY + DAY;
// The demo's refund returns bought credits (an Adjustment); its only Credit, the welcome grant, is before this window.
const CATEGORIES = ["Usage", "Purchase", "Adjustment"];
const PROVIDER = "Acme Metering"; // FOCUS_PROVIDER_NAME of the gateway under test

/** Row i of a file as column → exact text (decimals keep every digit). */
const record = (file: FocusFile, i: number): Record<string, string | null> => Object.fromEntries(file.columns.map((c, j) => [c, file.rows[i]![j]!.text]));

interface FocusPageResult {
  focusRows: { pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string }; edges: { node: Record<string, string | null> }[] };
  focusMetadata: Record<string, unknown>;
}

const test = gatewayTest({ now: NOW, env: { FOCUS_PROVIDER_NAME: PROVIDER }, demo: { days: 60, usageRecords: 3_000 } }).extend("focus", { scope: "file" }, async ({ db, clock, gateway, acmeProd: { key, workspaceId } }) => {
  const writeKey = await operatorKey(db, { name: "w", scopes: ["write:usage"], workspaceId }, clock);
  const bought = await gateway.graphql(parse(`mutation { purchaseCredits(input: { credits: "5000", amountPaidUsd: "45.50" }) { __typename } }`), {}, bearer(key));
  expect(bought.data).toEqual({ purchaseCredits: { __typename: "CreditTransactionPayload" } });
  const response = await fetch(`${gateway.url}/api/billing/focus-export?from=${FROM}&to=${TO}`, { headers: bearer(key) });
  return { key, writeKey, jsonl: readJsonl(await response.text()) };
});

describe("FOCUS export", () => {
  test("streams JSONL as an attachment with every column, FOCUS columns before x_ columns", async ({ gateway, focus: { key, jsonl } }) => {
    const response = await fetch(`${gateway.url}/api/billing/focus-export?from=${FROM}&to=${TO}`, { headers: bearer(key) });
    expect(response.headers.get("content-type")).toMatch(/^application\/jsonl/);
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="focus-export.jsonl"');
    expect(response.headers.get("cache-control")).toBe("no-store");
    await response.arrayBuffer(); // read to the end, so that no export is still reading during a later test
    const names = FOCUS_COLUMNS.map((c) => c.name);
    const firstCustom = names.findIndex((n) => n.startsWith("x_"));
    expect(names.slice(firstCustom).every((n) => n.startsWith("x_"))).toBe(true);
    expect(names.slice(0, firstCustom).some((n) => n.startsWith("x_"))).toBe(false);
    expect(jsonl.columns).toEqual(names);
    expect(jsonl.lineProblems).toEqual([]);
    expect(new Set(jsonl.rows.map((_, i) => record(jsonl, i).ChargeCategory))).toEqual(new Set(CATEGORIES));
    const providers = ["ServiceProviderName", "HostProviderName", "InvoiceIssuerName", "ProviderName", "PublisherName"];
    const named = new Set(jsonl.rows.flatMap((_, i) => providers.map((c) => record(jsonl, i)[c])));
    expect([...named]).toEqual([PROVIDER]);
  });

  test("gzips each format when the client takes gzip, byte for byte the uncompressed file", async ({ gateway, focus: { key } }) => {
    // node:http, which decompresses nothing, so that the bytes on the wire are compared.
    const raw = (path: string, acceptEncoding: string) =>
      new Promise<{ encoding: string | undefined; vary: string | undefined; body: Buffer }>((resolve, reject) => {
        http.get(`${gateway.url}${path}`, { headers: { ...bearer(key), "accept-encoding": acceptEncoding } }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ encoding: res.headers["content-encoding"], vary: res.headers.vary, body: Buffer.concat(chunks) }));
        }).on("error", reject);
      });
    for (const path of [`/api/billing/focus-export?from=${FROM}&to=${TO}`, `/api/billing/focus-export?from=${FROM}&to=${TO}&format=csv`, `/api/billing/focus-export?from=${FROM}&to=${TO}&dataset=contract-commitment`]) {
      const plain = await raw(path, "identity");
      const zipped = await raw(path, "br;q=1, gzip;q=0.8");
      expect([plain.encoding, zipped.encoding, zipped.vary]).toEqual([undefined, "gzip", "Accept-Encoding"]);
      expect(plain.body.length).toBeGreaterThan(1_000);
      expect(zipped.body.length).toBeLessThan(plain.body.length / 3);
      expect(zlib.gunzipSync(zipped.body).equals(plain.body)).toBe(true);
      // A q of 0 refuses gzip.
      expect((await raw(path, "gzip;q=0")).encoding).toBeUndefined();
    }
  });

  test("has the same rows in CSV and JSONL", async ({ gateway, focus: { key, jsonl } }) => {
    const response = await fetch(`${gateway.url}/api/billing/focus-export?from=${FROM}&to=${TO}&format=csv`, { headers: bearer(key) });
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="focus-export.csv"');
    const csv = readCsv(await response.text());
    expect(csv.columns).toEqual(jsonl.columns);
    expect(csv.rows.map((row) => row.map((cell) => cell.text))).toEqual(jsonl.rows.map((row) => row.map((cell) => cell.text)));
  });

  test("writes Parquet with the metadata's types, never gzip-encoded", async ({ gateway, focus: { key, jsonl } }) => {
    for (const [dataset, columns, name] of [["cost-and-usage", FOCUS_COLUMNS, "focus-export"], ["contract-commitment", COMMITMENT_COLUMNS, "focus-contract-commitments"]] as const) {
      const range = `from=${FROM}&to=${TO}&dataset=${dataset}`;
      const response = await fetch(`${gateway.url}/api/billing/focus-export?${range}&format=parquet`, { headers: { ...bearer(key), "accept-encoding": "gzip" } });
      expect([response.status, response.headers.get("content-type"), response.headers.get("content-encoding")]).toEqual([200, "application/vnd.apache.parquet", null]);
      expect(response.headers.get("content-disposition")).toBe(`attachment; filename="${name}.parquet"`);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect([bytes.subarray(0, 4).toString(), bytes.subarray(-4).toString()]).toEqual(["PAR1", "PAR1"]);
      const parquet = await readParquet(bytes);
      const metadata = (await (await fetch(`${gateway.url}/api/billing/focus-metadata?${range}`, { headers: bearer(key) })).json()) as { Schema: { ColumnDefinition: { ColumnName: string; DataType: string; NumericPrecision?: number; NumberScale?: number }[] }[] };
      const declared = metadata.Schema[0]!.ColumnDefinition.map((c) => [c.ColumnName, c.DataType === "DECIMAL" ? `DECIMAL(${c.NumericPrecision},${c.NumberScale})` : c.DataType === "DATETIME" ? "TIMESTAMP WITH TIME ZONE" : "VARCHAR"]);
      expect(Object.entries(parquet.types)).toEqual(declared);
      expect(parquet.columns).toEqual(columns.map((c) => c.name));
      if (dataset === "cost-and-usage") expect(parquet.rows.length).toBe(jsonl.rows.length);
    }
  });

  test("serves the same rows and metadata over GraphQL", async ({ gateway, focus: { key, jsonl } }) => {
    const columns = FOCUS_COLUMNS.map((c) => c.name);
    const document = parse(`query FocusPage($from: DateTime!, $to: DateTime!, $after: String) {
      workspace { focusRows(from: $from, to: $to, first: 500, after: $after) { pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { ${columns.join(" ")} } } }
        focusMetadata(from: $from, to: $to) } }`);
    const rows: Record<string, string | null>[] = [];
    let after: string | null = null;
    let metadata: Record<string, unknown> | null = null;
    for (;;) {
      const response: { data: unknown } = await gateway.graphql(document, { from: new Date(FROM).toISOString(), to: new Date(TO).toISOString(), after }, bearer(key));
      const page = (response.data as { workspace: FocusPageResult }).workspace;
      metadata = page.focusMetadata;
      rows.push(...page.focusRows.edges.map((e) => e.node));
      expect(page.focusRows.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!page.focusRows.pageInfo.hasNextPage) break;
      after = page.focusRows.pageInfo.endCursor;
    }
    expect(rows.length).toBeGreaterThan(500); // more than one page
    expect(rows).toEqual(jsonl.rows.map((_, i) => record(jsonl, i)));
    const rest = await (await fetch(`${gateway.url}/api/billing/focus-metadata?from=${FROM}&to=${TO}`, { headers: bearer(key) })).json();
    const stable = (m: Record<string, unknown>) => JSON.stringify(m, (k, v) => (k === "RecencyLastUpdated" ? undefined : v));
    expect(stable(metadata!)).toBe(stable(rest));
    const malformed = await gateway.graphql(document, { from: new Date(FROM).toISOString(), to: new Date(TO).toISOString(), after: "nope" }, bearer(key));
    // Field errors next to data ({ workspace: null }) answer 200, GraphQL over HTTP.
    expect([malformed.status, malformed.errors?.[0]?.extensions?.code]).toEqual([200, "INVALID_CURSOR"]);
    const rejected = async (from: number, to: number, first = 10) => {
      const query = parse(`query($from: DateTime!, $to: DateTime!, $first: Int) { workspace { focusRows(from: $from, to: $to, first: $first) { hasNextPage } } }`);
      const response = await gateway.graphql(query, { from: new Date(from).toISOString(), to: new Date(to).toISOString(), first }, bearer(key));
      const error = response.errors?.[0];
      return [response.status, error?.extensions?.code, (error?.extensions?.issues as { path: string[] }[] | undefined)?.[0]?.path];
    };
    expect(await rejected(TO, FROM)).toEqual([200, "VALIDATION_ERROR", ["from"]]);
    expect(await rejected(FROM - 400 * DAY, TO)).toEqual([200, "VALIDATION_ERROR", ["to"]]);
    expect(await rejected(FROM, TO, 0)).toEqual([200, "VALIDATION_ERROR", ["first"]]);
  });

  test("serves the contract commitments over GraphQL as in the file, page by page", async ({ gateway, focus: { key } }) => {
    const range = `from=${FROM}&to=${TO}&dataset=contract-commitment`;
    const file = await fetch(`${gateway.url}/api/billing/focus-export?${range}`, { headers: bearer(key) });
    expect(file.headers.get("content-disposition")).toBe('attachment; filename="focus-contract-commitments.jsonl"');
    const commitments = readJsonl(await file.text());
    expect(commitments.columns).toEqual(COMMITMENT_COLUMNS.map((c) => c.name));
    expect(commitments.rows.length).toBeGreaterThan(1);
    const document = parse(`query($from: DateTime!, $to: DateTime!, $after: String) { workspace {
      focusContractCommitments(from: $from, to: $to, first: 1, after: $after) { pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { ${commitments.columns.join(" ")} } } }
      focusMetadata(from: $from, to: $to, dataset: CONTRACT_COMMITMENT) } }`);
    const rows: Record<string, string | null>[] = [];
    let after: string | null = null;
    let metadata: Record<string, unknown> = {};
    for (;;) {
      const response: { data: unknown } = await gateway.graphql(document, { from: new Date(FROM).toISOString(), to: new Date(TO).toISOString(), after }, bearer(key));
      const page = (response.data as { workspace: { focusContractCommitments: FocusPageResult["focusRows"]; focusMetadata: Record<string, unknown> } }).workspace;
      rows.push(...page.focusContractCommitments.edges.map((e) => e.node));
      metadata = page.focusMetadata;
      if (!page.focusContractCommitments.pageInfo.hasNextPage) break;
      after = page.focusContractCommitments.pageInfo.endCursor;
    }
    expect(rows).toEqual(commitments.rows.map((_, i) => record(commitments, i)));
    const rest = await (await fetch(`${gateway.url}/api/billing/focus-metadata?${range}`, { headers: bearer(key) })).json();
    const stable = (m: Record<string, unknown>) => JSON.stringify(m, (k, v) => (k === "RecencyLastUpdated" ? undefined : v));
    expect(stable(metadata)).toBe(stable(rest));
    expect(rest.DatasetInstance[0].FocusDatasetId).toBe("ContractCommitment");
    // A cost-and-usage cursor does not page the commitments.
    const usagePage = await gateway.graphql(parse(`query($from: DateTime!, $to: DateTime!) { workspace { focusRows(from: $from, to: $to, first: 1) { endCursor } } }`),
      { from: new Date(FROM).toISOString(), to: new Date(TO).toISOString() }, bearer(key));
    const foreign = (usagePage.data as { workspace: { focusRows: { endCursor: string } } }).workspace.focusRows.endCursor;
    const replayed = await gateway.graphql(document, { from: new Date(FROM).toISOString(), to: new Date(TO).toISOString(), after: foreign }, bearer(key));
    expect(replayed.errors?.[0]?.extensions?.code).toBe("INVALID_CURSOR");
  });

  test("maps prepaid credits as the spec's example does: money on purchases, amortized cost and credits on usage", ({ focus: { jsonl } }) => {
    const D = (text: string | null | undefined) => new Prisma.Decimal(text!);
    for (let i = 0; i < jsonl.rows.length; i++) {
      const r = record(jsonl, i);
      if (r.ChargeCategory === "Usage") {
        expect([r.ChargeFrequency, r.BilledCost, r.PricingCurrency]).toEqual(["Usage-Based", "0", "Credits"]);
        expect(D(r.PricingCurrencyEffectiveCost).eq(D(r.x_Credits).neg())).toBe(true); // credits burned
        expect(D(r.ContractedCost).eq(D(r.ContractedUnitPrice).mul(D(r.PricingQuantity)))).toBe(true);
        expect(r.PricingUnit).toBe(r.ConsumedUnit);
      }
      if (r.ChargeCategory === "Purchase") {
        expect([r.ChargeFrequency, r.EffectiveCost, r.PricingCurrencyEffectiveCost, r.PricingUnit]).toEqual(["One-Time", "0", "0", "Credits"]);
        expect([r.ContractedCost, r.PricingQuantity]).toEqual([r.BilledCost, r.x_Credits]); // money paid, credits bought
        expect(r.ChargePeriodEnd! > r.BillingPeriodEnd!).toBe(true); // the credits' validity, beyond the invoice month
      }
      if (r.ChargeCategory === "Credit" || r.ChargeCategory === "Adjustment") {
        expect([r.BilledCost, r.ListCost, r.ContractedCost, r.SkuId, r.PricingQuantity]).toEqual(["0", "0", "0", null, null]);
        expect(D(r.x_Credits).isZero()).toBe(false);
        // No money moves; what changes is what the bought credits are worth: a refund gives cost back,
        // an expiration or a negative adjustment takes it. Free credits cost nothing either way.
        if (r.ChargeCategory === "Credit") expect(r.EffectiveCost).toBe("0");
        else expect(D(r.EffectiveCost).isNegative()).toBe(r.x_CreditTransactionType === "refund");
      }
    }
  });

  test("tags each usage row with its own record's model, external user and external project", async ({ db, focus: { jsonl } }) => {
    const usage = jsonl.rows.map((_, i) => record(jsonl, i)).filter((r) => r.ChargeCategory === "Usage");
    const ids = usage.map((r) => BigInt(r.x_UsageRecordId!));
    const records = new Map((await db.prisma.usageRecord.findMany({ where: { id: { in: ids } } })).map((u) => [u.id.toString(), u]));
    const tagsOf = (u: { model: string | null; externalUserId: string | null; externalProjectId: string | null }) => {
      const present = Object.entries({ model: u.model, externalUserId: u.externalUserId, externalProjectId: u.externalProjectId }).filter(([, value]) => value);
      return present.length ? Object.fromEntries(present.map(([name, value]) => [`bg/${name}`, value])) : null;
    };
    for (const r of usage) expect([r.x_UsageRecordId, r.Tags ? JSON.parse(r.Tags) : null]).toEqual([r.x_UsageRecordId, tagsOf(records.get(r.x_UsageRecordId!)!)]);
    // Many combinations, some without a user or a project: a mix-up between them would show above.
    const tags = usage.map((r) => (r.Tags ? (JSON.parse(r.Tags) as Record<string, string>) : {}));
    expect(new Set(usage.map((r) => r.Tags)).size).toBeGreaterThan(10);
    expect([tags.some((t) => !t["bg/externalUserId"]), tags.some((t) => !t["bg/externalProjectId"]), tags.some((t) => t["bg/externalProjectId"])]).toEqual([true, true, true]);
  });

  test("describes exactly the file's columns in its metadata", async ({ gateway, focus: { key, jsonl } }) => {
    const response = await fetch(`${gateway.url}/api/billing/focus-metadata?from=${FROM}&to=${TO}`, { headers: bearer(key) });
    expect(response.headers.get("cache-control")).toBe("no-store");
    const metadata = await response.json();
    const schema = metadata.Schema[0];
    expect(schema.FocusVersion).toBe("1.3");
    expect(metadata.DataGenerator).toEqual({ DataGenerator: PROVIDER });
    expect(schema.ColumnDefinition.map((c: { ColumnName: string }) => c.ColumnName)).toEqual(jsonl.columns);
    const byName = Object.fromEntries(schema.ColumnDefinition.map((c: { ColumnName: string }) => [c.ColumnName, c]));
    expect(byName.Tags.ProviderTagPrefixes).toEqual(["bg/"]);
    expect([byName.ProviderName.Deprecated, byName.PublisherName.Deprecated]).toEqual([true, true]);
    expect(metadata.DatasetInstance[0]).toMatchObject({ FocusDatasetId: "CostAndUsage", DatasetInstanceId: metadata.Recency[0].DatasetInstanceId });
    const sectors = metadata.Recency[0].TimeSectors as { TimeSectorComplete: boolean; TimeSectorStart: string }[];
    expect(sectors).toHaveLength((TO - FROM) / DAY);
    // Today is not over; yesterday is complete once five minutes of late usage have passed after midnight.
    const yesterdayComplete = NOW.getTime() - (TO - DAY) >= 5 * 60_000;
    expect(sectors.map((s) => s.TimeSectorComplete)).toEqual([...Array(sectors.length - 2).fill(true), yesterdayComplete, false]);
    const file = await fetch(`${gateway.url}/api/billing/focus-export?from=${FROM}&to=${TO}`, { headers: bearer(key) });
    expect(file.headers.get("x-focus-schema-id")).toBe(schema.SchemaId); // the file names its schema
    await file.arrayBuffer();
  });

  test("rejects bad input with a 4xx naming the parameter, before reading rows", async ({ gateway, db, focus: { key, writeKey } }) => {
    let reads = 0;
    const stop = db.onQuery((sql) => void (/"(UsageRecord|CreditTransaction)"/.test(sql) && reads++));
    const cases: [string, string, string][] = [
      [`to=${TO}`, "MISSING_PARAMETER", "from"],
      [`from=${FROM}`, "MISSING_PARAMETER", "to"],
      [`from=yesterday&to=${TO}`, "INVALID_PARAMETER", "from"],
      [`from=${FROM}&to=1e12`, "INVALID_PARAMETER", "to"],
      [`from=${TO}&to=${FROM}`, "INVALID_RANGE", "from"],
      [`from=${FROM}&to=${FROM}`, "INVALID_RANGE", "from"],
      [`from=${FROM - 400 * DAY}&to=${TO}`, "RANGE_TOO_LARGE", "to"],
      [`from=${FROM}&to=${TO}&format=xml`, "INVALID_PARAMETER", "format"],
    ];
    for (const [query, code, param] of cases) {
      for (const path of ["focus-export", "focus-metadata"]) {
        if (path === "focus-metadata" && param === "format") continue;
        const response = await fetch(`${gateway.url}/api/billing/${path}?${query}`, { headers: bearer(key) });
        const { error } = await response.json();
        expect([path, query, response.status, error.code, error.param]).toEqual([path, query, 400, code, param]);
        expect(error.message).toContain(param);
      }
    }
    const forbidden = await fetch(`${gateway.url}/api/billing/focus-export?from=${FROM}&to=${TO}`, { headers: bearer(writeKey) });
    expect([forbidden.status, (await forbidden.json()).error.code]).toEqual([403, "FORBIDDEN"]);
    stop();
    expect(reads).toBe(0);
  });
});

const accessTest = gatewayTest().extend("granted", { scope: "file", auto: true }, async ({ gateway, tenants: { acme } }) => {
  const granted = await gateway.graphql(parse(`mutation { grantCredits(input: { credits: "10" }) { __typename } }`), {}, bearer(acme.keys.admin));
  expect(granted.data).toEqual({ grantCredits: { __typename: "CreditTransactionPayload" } });
});

const getFocus = (gateway: TestGateway, path: string, token: string) => fetch(`${gateway.url}/api/billing/${path}`, { headers: bearer(token) });

describe("FOCUS routes' access", () => {
  accessTest("serves a dashboard session the workspace it names, and nothing it may not see", async ({ gateway, clock, tenants: { acme, globex } }) => {
    const range = `from=${clock.now().getTime() - DAY}&to=${clock.now().getTime() + DAY}`;
    const get = (path: string, token: string) => getFocus(gateway, path, token);
    const session = await signSessionToken(TEST_JWT_SECRET, acme.userId, clock.now());
    const own = await get(`focus-export?${range}&workspaceId=${acme.workspaceId}`, session);
    const rows = readJsonl(await own.text());
    // The tenant's opening balance and this file's grant: both free credits.
    expect(rows.rows.map((_, i) => [record(rows, i).SubAccountId, record(rows, i).ChargeCategory])).toEqual([[acme.workspaceId, "Credit"], [acme.workspaceId, "Credit"]]);
    expect((await get(`focus-metadata?${range}&workspaceId=${acme.otherWorkspaceId}`, session)).status).toBe(200); // a viewer there
    expect((await get(`focus-export?${range}`, session)).status).toBe(404); // sessions must name the workspace
    for (const path of ["focus-export", "focus-metadata"]) {
      expect((await get(`${path}?${range}&workspaceId=${globex.workspaceId}`, session)).status).toBe(404);
      expect((await get(`${path}?${range}&workspaceId=${globex.workspaceId}`, acme.keys.read)).status).toBe(404);
      expect((await get(`${path}?${range}`, "bgk_not-a-key")).status).toBe(401);
    }
  });
});
