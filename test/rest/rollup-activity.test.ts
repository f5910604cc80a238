// The usage rollup (002) and Fusion metrics (003) routes against the demo data, checked against
// the raw rows and against their GraphQL twins.
import { describe, expect } from "vitest";
import { graphql } from "../gql/index.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, operatorKey, type TestGateway } from "../helpers/gateway.js";
import { Prisma } from "../../src/db/generated/client.js";

const NOW = new Date("2026-11-22T09:00:00Z");

const ActivityTwin = graphql(`
  query RestActivityTwin { workspace { activityMetrics(startDate: "2026-11-01", endDate: "2026-11-14", granularity: WEEK) { summary { totalLinesGenerated users } } } }
`);

const test = gatewayTest({ now: NOW, demo: { days: 40, usageRecords: 3_000 } }).extend("keys", { scope: "file" }, async ({ db, clock, demo }) => {
  const orgKey = async (slug: string) => {
    const org = await db.prisma.organization.findUniqueOrThrow({ where: { slug } });
    return operatorKey(db, { name: "org", scopes: ["read:billing"], organizationId: org.id }, clock);
  };
  return {
    key: demo.demoApiKey,
    workspaceId: demo.workspaces.find((w) => w.slug === "acme-prod")!.id,
    researchId: demo.workspaces.find((w) => w.slug === "acme-research")!.id,
    orgKey: await orgKey("acme"),
    otherOrgKey: await orgKey("globex"),
  };
});

async function get(gateway: TestGateway, path: string, key: string) {
  const response = await fetch(`${gateway.url}${path}`, { headers: bearer(key) });
  return { status: response.status, body: await response.json() };
}

describe("REST usage rollup and activity metrics", () => {
  test("aggregates per external user, most expensive first, matching the raw rows", async ({ gateway, db, keys: { key, workspaceId } }) => {
    const { status, body } = await get(gateway, "/api/v1/usage?group_by=external_user_id&period=custom&start=2026-11-01T00:00:00Z&end=2026-11-20T00:00:00Z", key);
    expect(status).toBe(200);
    expect(body.period_start).toBe("2026-11-01T00:00:00Z");
    const costs = body.results.map((r: { credit_cents: number }) => r.credit_cents);
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
    const expected = await db.prisma.$queryRawUnsafe<{ user: string | null; sandbox: Prisma.Decimal; cents: Prisma.Decimal }[]>(
      `SELECT "externalUserId" AS user, COALESCE(SUM(units) FILTER (WHERE "skuId" = 'sandbox-vcpu-seconds'), 0) AS sandbox, SUM("costUsd") * 100 AS cents
       FROM "UsageRecord" WHERE "workspaceId" = $1::uuid AND "occurredAt" >= '2026-11-01' AND "occurredAt" < '2026-11-20' GROUP BY 1`,
      workspaceId,
    );
    const byUser = new Map(expected.map((e) => [e.user, e]));
    expect(expected.length).toBeGreaterThan(1); // the window holds several users' usage
    expect(body.results).toHaveLength(expected.length);
    for (const row of body.results) {
      const want = byUser.get(row.external_user_id)!;
      expect([row.credit_cents, row.sandbox_seconds]).toEqual([Number(want.cents.toFixed()), Number(want.sandbox.toFixed())]);
    }
    const projects = await get(gateway, "/api/v1/usage?group_by=external_project_id", key);
    expect(Object.keys(projects.body.results[0])).toEqual(["external_project_id", "sandbox_seconds", "computer_seconds", "storage_gb_hours", "credit_cents"]);
  });

  test("answers the document's 422 errors with its exact codes", async ({ gateway, keys: { key } }) => {
    const cases: [string, string][] = [
      ["group_by=team", "invalid group_by"],
      ["period=1y", "invalid period"],
      ["period=custom&start=2026-11-01", "invalid_custom_range"],
      ["period=custom&start=yesterday&end=2026-11-02", "invalid_custom_range"],
      ["period=custom&start=2026-11-05&end=2026-11-01", "invalid_custom_range"],
    ];
    for (const [query, code] of cases) {
      const { status, body } = await get(gateway, `/api/v1/usage?${query}`, key);
      expect([query, status, body.error.code]).toEqual([query, 422, code]);
    }
  });

  test("serves space metrics like the GraphQL field, and organization metrics with a per-space breakdown", async ({ gateway, keys: { key, orgKey, workspaceId, researchId } }) => {
    const space = await get(gateway, `/api/v1/metrics/spaces/${workspaceId}?startDate=2026-11-01&endDate=2026-11-14&granularity=week`, key);
    expect(space.status).toBe(200);
    const twin = await gateway.graphql(ActivityTwin, {}, bearer(key));
    expect(space.body.summary).toMatchObject({
      totalLinesGenerated: twin.data!.workspace!.activityMetrics!.summary.totalLinesGenerated,
      totalUsers: twin.data!.workspace!.activityMetrics!.summary.users,
    });
    expect(Object.keys(space.body.data[0].metrics.tokens)).toEqual(["total", "input", "output", "cacheWrite", "cacheInput"]);
    const org = await get(gateway, "/api/v1/metrics/organization?startDate=2026-11-02&endDate=2026-11-06&granularity=month", orgKey);
    expect(org.status).toBe(200);
    expect(org.body.data[0].metrics.spaces.map((s: { spaceId: string }) => s.spaceId).sort()).toEqual([workspaceId, researchId].sort());
    expect(Object.keys(org.body.summary)).toEqual(["totalLinesGenerated", "totalLinesAccepted", "users", "totalUserPrompts"]);
  });

  test("answers 400 for bad dates, granularity or ranges, and 404 for unknown or foreign spaces and organizations", async ({ gateway, db, keys: { key, otherOrgKey, workspaceId, researchId } }) => {
    const bad = [
      `startDate=2026-11-01`,
      `startDate=2026-11-01&endDate=2026-02-30`,
      `startDate=2026-11-01&endDate=2026-11-02&granularity=hour`,
      `startDate=2026-01-01&endDate=2026-06-01&granularity=day`,
    ];
    for (const query of bad) expect((await get(gateway, `/api/v1/metrics/spaces/${workspaceId}?${query}`, key)).status).toBe(400);
    const ok = "startDate=2026-11-01&endDate=2026-11-02";
    expect((await get(gateway, `/api/v1/metrics/spaces/${researchId}?${ok}`, key)).status).toBe(404);
    expect((await get(gateway, `/api/v1/metrics/spaces/not-a-space?${ok}`, key)).status).toBe(404);
    // A workspace's key sees its organization, with its own space only in the breakdown.
    const own = await get(gateway, `/api/v1/metrics/organization?${ok}`, key);
    const spaces = (own.body as { data: { metrics: { spaces: { spaceId: string }[] } }[] }).data.flatMap((p) => p.metrics.spaces.map((s) => s.spaceId));
    expect([own.status, [...new Set(spaces)]]).toEqual([200, [workspaceId]]);
    const acmeOrg = await db.prisma.organization.findUniqueOrThrow({ where: { slug: "acme" } });
    expect((await get(gateway, `/api/v1/metrics/organization?${ok}&organizationId=${acmeOrg.id}`, otherOrgKey)).status).toBe(404);
  });
});
