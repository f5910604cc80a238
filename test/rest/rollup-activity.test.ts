// The usage rollup (002) and Fusion metrics (003) routes against the demo data, checked against
// the raw rows and against their GraphQL twins.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/domain/api-keys.js";
import { seedDemo } from "../../src/seed/demo.js";
import { graphql } from "../gql/index.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { bearer, startGateway, type TestGateway } from "../helpers/gateway.js";
import { Prisma } from "../../src/db/generated/client.js";

const NOW = new Date("2026-11-22T09:00:00Z");

const ActivityTwin = graphql(`
  query RestActivityTwin { workspace { activityMetrics(startDate: "2026-11-01", endDate: "2026-11-14", granularity: WEEK) { summary { totalLinesGenerated users } } } }
`);

describe("REST usage rollup and activity metrics", () => {
  let t: TestDatabase;
  let gateway: TestGateway;
  let key: string;
  let orgKey: string;
  let otherOrgKey: string;
  let workspaceId: string;
  let researchId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    const demo = await seedDemo(t.db, { now: NOW, days: 40, usageRecords: 3_000 });
    key = demo.demoApiKey;
    workspaceId = demo.workspaces.find((w) => w.slug === "acme-prod")!.id;
    researchId = demo.workspaces.find((w) => w.slug === "acme-research")!.id;
    const acme = await t.db.prisma.organization.findUniqueOrThrow({ where: { slug: "acme" } });
    const globex = await t.db.prisma.organization.findUniqueOrThrow({ where: { slug: "globex" } });
    orgKey = (await createApiKey(t.db.prisma, "operator", { name: "org", scopes: ["read:billing"], organizationId: acme.id })).secret;
    otherOrgKey = (await createApiKey(t.db.prisma, "operator", { name: "org", scopes: ["read:billing"], organizationId: globex.id })).secret;
    gateway = await startGateway(t.db);
  });
  afterAll(async () => {
    await gateway.close();
    await t.drop();
  });

  const get = async (path: string, k = key) => {
    const response = await fetch(`${gateway.url}${path}`, { headers: bearer(k) });
    return { status: response.status, body: await response.json() };
  };

  it("aggregates per external user, most expensive first, matching the raw rows", async () => {
    const { status, body } = await get("/api/v1/usage?group_by=external_user_id&period=custom&start=2026-11-01T00:00:00Z&end=2026-11-20T00:00:00Z");
    expect(status).toBe(200);
    expect(body.period_start).toBe("2026-11-01T00:00:00Z");
    const costs = body.results.map((r: { credit_cents: number }) => r.credit_cents);
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
    const expected = await t.db.prisma.$queryRawUnsafe<{ user: string | null; sandbox: Prisma.Decimal; cents: Prisma.Decimal }[]>(
      `SELECT "externalUserId" AS user, COALESCE(SUM(units) FILTER (WHERE "skuId" = 'sandbox-vcpu-seconds'), 0) AS sandbox, SUM("costUsd") * 100 AS cents
       FROM "UsageRecord" WHERE "workspaceId" = $1::uuid AND "occurredAt" >= '2026-11-01' AND "occurredAt" < '2026-11-20' GROUP BY 1`,
      workspaceId,
    );
    const byUser = new Map(expected.map((e) => [e.user, e]));
    expect(body.results).toHaveLength(expected.length);
    for (const row of body.results) {
      const want = byUser.get(row.external_user_id)!;
      expect([row.credit_cents, row.sandbox_seconds]).toEqual([Number(want.cents.toFixed()), Number(want.sandbox.toFixed())]);
    }
    const projects = await get("/api/v1/usage?group_by=external_project_id");
    expect(Object.keys(projects.body.results[0])).toEqual(["external_project_id", "sandbox_seconds", "computer_seconds", "storage_gb_hours", "credit_cents"]);
  });

  it("answers the document's 422 errors with its exact codes", async () => {
    const cases: [string, string][] = [
      ["group_by=team", "invalid group_by"],
      ["period=1y", "invalid period"],
      ["period=custom&start=2026-11-01", "invalid_custom_range"],
      ["period=custom&start=yesterday&end=2026-11-02", "invalid_custom_range"],
      ["period=custom&start=2026-11-05&end=2026-11-01", "invalid_custom_range"],
    ];
    for (const [query, code] of cases) {
      const { status, body } = await get(`/api/v1/usage?${query}`);
      expect([query, status, body.error.code]).toEqual([query, 422, code]);
    }
  });

  it("serves space metrics like the GraphQL field, and organization metrics with a per-space breakdown", async () => {
    const space = await get(`/api/v1/metrics/spaces/${workspaceId}?startDate=2026-11-01&endDate=2026-11-14&granularity=week`);
    expect(space.status).toBe(200);
    const twin = await gateway.graphql(ActivityTwin, {}, bearer(key));
    expect(space.body.summary).toMatchObject({
      totalLinesGenerated: twin.data!.workspace!.activityMetrics.summary.totalLinesGenerated,
      totalUsers: twin.data!.workspace!.activityMetrics.summary.users,
    });
    expect(Object.keys(space.body.data[0].metrics.tokens)).toEqual(["total", "input", "output", "cacheWrite", "cacheInput"]);
    const org = await get("/api/v1/metrics/organization?startDate=2026-11-02&endDate=2026-11-06&granularity=month", orgKey);
    expect(org.status).toBe(200);
    expect(org.body.data[0].metrics.spaces.map((s: { spaceId: string }) => s.spaceId).sort()).toEqual([workspaceId, researchId].sort());
    expect(Object.keys(org.body.summary)).toEqual(["totalLinesGenerated", "totalLinesAccepted", "users", "totalUserPrompts"]);
  });

  it("answers 400 for bad dates, granularity or ranges, and 404 for unknown or foreign spaces and organizations", async () => {
    const bad = [
      `startDate=2026-11-01`,
      `startDate=2026-11-01&endDate=2026-02-30`,
      `startDate=2026-11-01&endDate=2026-11-02&granularity=hour`,
      `startDate=2026-01-01&endDate=2026-06-01&granularity=day`,
    ];
    for (const query of bad) expect((await get(`/api/v1/metrics/spaces/${workspaceId}?${query}`)).status).toBe(400);
    const ok = "startDate=2026-11-01&endDate=2026-11-02";
    expect((await get(`/api/v1/metrics/spaces/${researchId}?${ok}`)).status).toBe(404);
    expect((await get(`/api/v1/metrics/spaces/not-a-space?${ok}`)).status).toBe(404);
    expect((await get(`/api/v1/metrics/organization?${ok}`)).status).toBe(404);
    const acmeOrg = await t.db.prisma.organization.findUniqueOrThrow({ where: { slug: "acme" } });
    expect((await get(`/api/v1/metrics/organization?${ok}&organizationId=${acmeOrg.id}`, otherOrgKey)).status).toBe(404);
  });
});
