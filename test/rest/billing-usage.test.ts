// Billing Usage API (001): JSON and CSV pages of the same rows, parameters, and cached analytics.
import { describe, expect } from "vitest";
import { graphql } from "../gql/index.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, type TestGateway } from "../helpers/gateway.js";
import { Prisma } from "../../src/db/generated/client.js";
import { parse } from "csv-parse/sync";

const NOW = new Date("2026-11-22T09:00:00Z");

const Twin = graphql(`
  query RestUsageTwin { workspace { usageRecords(first: 50) { totalCount edges { node { timestamp skuId unit amount currency } } } } }
`);

const test = gatewayTest({ now: NOW, demo: { days: 20, usageRecords: 2_000 } });

async function get(gateway: TestGateway, key: string, query: string, accept = "application/json", path = "/api/v1/billing/usage") {
  const response = await fetch(`${gateway.url}${path}?${query}`, { headers: { ...bearer(key), accept } });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe("REST billing usage", () => {
  test("pages rows newest first with pagination metadata, as the GraphQL connection orders them", async ({ gateway, db, acmeProd: { key, workspaceId } }) => {
    const first = JSON.parse((await get(gateway, key, "limit=50")).text);
    const total = await db.prisma.usageRecord.count({ where: { workspaceId } });
    expect(first.pagination).toEqual({ page: 1, limit: 50, total, totalPages: Math.ceil(total / 50) });
    expect(Object.keys(first.data[0])).toEqual(["timestamp", "sku", "pricePerUnitUsd", "unit", "amount", "currency", "notes", "inferenceDetails"]);
    const twin = (await gateway.graphql(Twin, {}, bearer(key))).data!.workspace!.usageRecords!;
    expect(twin.totalCount).toBe(total);
    expect(first.data.map((r: { timestamp: string; sku: string; unit: number; amount: number; currency: string }) => [r.timestamp, r.sku, String(r.unit), String(r.amount), r.currency]))
      .toEqual(twin.edges.map((e) => [e.node.timestamp, e.node.skuId, e.node.unit, e.node.amount, e.node.currency]));
    const second = JSON.parse((await get(gateway, key, "limit=50&page=2")).text);
    expect(second.data[0].timestamp <= first.data.at(-1).timestamp).toBe(true);
    const oldest = JSON.parse((await get(gateway, key, "limit=1&sortOrder=asc")).text);
    expect(oldest.data[0].timestamp <= first.data.at(-1).timestamp).toBe(true);
  });

  test("answers CSV with the same rows when the client asks for text/csv", async ({ gateway, acmeProd: { key } }) => {
    const query = "limit=100&currency=USD&startDate=2026-11-10T00:00:00.000Z&endDate=2026-11-15T23:59:59.999Z";
    const json = JSON.parse((await get(gateway, key, query)).text);
    const csv = await get(gateway, key, query, "text/csv");
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.headers.get("x-total-count")).toBe(String(json.pagination.total));
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(json.data.length);
    rows.forEach((row, i) => {
      const r = json.data[i];
      expect([row.timestamp, row.sku, row.pricePerUnitUsd, row.unit, row.amount, row.currency, row["inferenceDetails.requestId"]])
        .toEqual([r.timestamp, r.sku, String(r.pricePerUnitUsd), String(r.unit), String(r.amount), r.currency, r.inferenceDetails?.requestId ?? ""]);
    });
    expect(json.data.every((r: { currency: string; timestamp: string }) => r.currency === "USD" && r.timestamp >= "2026-11-10")).toBe(true);
    expect((await get(gateway, key, "limit=5", "application/json, text/csv")).headers.get("content-type")).toMatch(/json/);
  });

  test("names the parameter of every bad value", async ({ gateway, acmeProd: { key } }) => {
    for (const [query, param] of [["limit=0", "limit"], ["limit=501", "limit"], ["page=0", "page"], ["page=x", "page"], ["currency=EUR", "currency"],
      ["sortOrder=up", "sortOrder"], ["startDate=11/01/2026", "startDate"], ["startDate=2026-11-10&endDate=2026-11-01", "startDate"]]) {
      const response = await get(gateway, key, query!);
      expect([query, response.status, JSON.parse(response.text).error.param]).toEqual([query, 400, param]);
    }
  });

  test("aggregates analytics by date, model and API key, cached for the caller", async ({ gateway, db, acmeProd: { key, workspaceId } }) => {
    const query = "startDate=2026-11-05T00:00:00.000Z&endDate=2026-11-12T23:59:59.999Z";
    const first = await get(gateway, key, query, "application/json", "/api/v1/billing/usage/analytics");
    const body = JSON.parse(first.text);
    expect(first.headers.get("x-cache")).toBe("MISS");
    const [raw] = await db.prisma.$queryRawUnsafe<{ cost: Prisma.Decimal; n: number }[]>(
      `SELECT SUM("costUsd") cost, COUNT(*)::int n FROM "UsageRecord" WHERE "workspaceId" = $1::uuid AND "occurredAt" >= '2026-11-05' AND "occurredAt" < '2026-11-13'`,
      workspaceId,
    );
    expect([String(body.totals.amountUsd), body.totals.requests]).toEqual([raw!.cost.toFixed(), raw!.n]);
    expect(body.byModel.reduce((s: number, r: { requests: number }) => s + r.requests, 0)).toBe(raw!.n);
    expect(body.byApiKey.length).toBeGreaterThan(0);
    const again = await get(gateway, key, query, "application/json", "/api/v1/billing/usage/analytics");
    expect(again.headers.get("x-cache")).toBe("HIT");
    expect(JSON.parse(again.text)).toMatchObject({ cached: true, computedAt: body.computedAt });
    // Ten minutes later by the gateway's clock, the answer is computed again.
    gateway.clock.advance(10 * 60_000 - 1);
    expect((await get(gateway, key, query, "application/json", "/api/v1/billing/usage/analytics")).headers.get("x-cache")).toBe("HIT");
    gateway.clock.advance(1);
    const later = await get(gateway, key, query, "application/json", "/api/v1/billing/usage/analytics");
    expect(later.headers.get("x-cache")).toBe("MISS");
    expect(JSON.parse(later.text).computedAt).toBe(new Date(Date.parse(body.computedAt) + 10 * 60_000).toISOString());
  });
});
