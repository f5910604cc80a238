// The BuilderStudio credits routes and batch ingestion, as their clients call them; each figure
// matches its GraphQL twin.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signSessionToken } from "../../src/auth/session-token.js";
import { insertPriceList } from "../../src/seed/price-list.js";
import { graphql } from "../gql/index.js";
import type { TestDatabase } from "../helpers/database.js";
import { bearer, TEST_JWT_SECRET, type TestGateway } from "../helpers/gateway.js";
import { startTwoTenants, stopTwoTenants, type Tenant } from "../helpers/tenants.js";

const Ledger = graphql(`
  query RestLedgerTwin($n: Int!) { workspace { creditBalance { credits } creditTransactions(first: $n) { edges { node { amount balanceAfter type } } } } }
`);

describe("REST credits and events", () => {
  let t: TestDatabase;
  let gateway: TestGateway;
  let acme: Tenant;
  let globex: Tenant;
  beforeAll(async () => {
    ({ t, gateway, acme, globex } = await startTwoTenants());
    await t.db.withSession((session) => insertPriceList(session));
  });
  afterAll(() => stopTwoTenants(t, gateway));

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${gateway.url}${path}`, { headers });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
  };
  const post = async (body: string, contentType: string, key: string) => {
    const response = await fetch(`${gateway.url}/api/v1/events`, { method: "POST", headers: { "content-type": contentType, ...bearer(key) }, body });
    return { status: response.status, body: await response.json() };
  };
  const events = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ idempotencyKey: `${prefix}-${i}`, sku: "storage-gb-hours", units: "12.5" }));

  it("ingests a JSON array and NDJSON through the recordUsage path, per record", async () => {
    const array = await post(JSON.stringify([...events("ev", 3), { idempotencyKey: "ev-0", sku: "storage-gb-hours", units: "1" }, { sku: "x" }]), "application/json", acme.keys.write);
    expect(array.status).toBe(200);
    expect(array.body).toMatchObject({ accepted: 3, duplicates: 1, rejected: 1, creditsDebited: 0.375 });
    expect(array.body.results.map((r: { status: string }) => r.status)).toEqual(["accepted", "accepted", "accepted", "duplicate", "rejected"]);
    expect(array.body.results[4].error).toMatchObject({ code: "VALIDATION_ERROR", param: "idempotencyKey" });
    const ndjson = await post(events("nd", 2).map((e) => JSON.stringify(e)).join("\n") + "\n", "application/x-ndjson", acme.keys.write);
    expect(ndjson.body).toMatchObject({ accepted: 2, duplicates: 0, rejected: 0 });
  });

  it("writes nothing for a batch rejected as a whole", async () => {
    const before = await t.db.prisma.usageRecord.count();
    const cases: [string, string, number, string][] = [
      ["[{", "application/json", 400, "INVALID_BODY"],
      ['{"idempotencyKey":"x"}', "application/json", 400, "INVALID_BODY"],
      ['{"idempotencyKey":"a","sku":"storage-gb-hours","units":"1"}\nnot json', "application/x-ndjson", 400, "INVALID_BODY"],
      [JSON.stringify(events("big", 1001)), "application/json", 400, "VALIDATION_ERROR"],
      ["[]", "application/json", 400, "VALIDATION_ERROR"],
    ];
    for (const [body, type, status, code] of cases) {
      const response = await post(body, type, acme.keys.write);
      expect([response.status, response.body.error.code]).toEqual([status, code]);
    }
    const oversized = await post(`[${" ".repeat(6 * 1024 * 1024)}]`, "application/json", acme.keys.write);
    expect([oversized.status, oversized.body.error.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
    expect(await t.db.prisma.usageRecord.count()).toBe(before);
    expect((await post(JSON.stringify(events("ro", 1)), "application/json", acme.keys.read)).status).toBe(403);
    const wrongMethod = await get("/api/v1/events", bearer(acme.keys.write));
    expect(wrongMethod.status).toBe(405);
  });

  it("reports the balance, as its GraphQL twin does, with exact numbers", async () => {
    const rest = await get("/api/mcp/credits/balance", bearer(acme.keys.read));
    expect(rest.status).toBe(200);
    const twin = await gateway.graphql(Ledger, { n: 10 }, bearer(acme.keys.read));
    expect(rest.text).toContain(`"balance":${twin.data!.workspace!.creditBalance.credits}`);
    expect(rest.body).toMatchObject({ workspaceId: acme.workspaceId, creditPriceUsd: 0.01 });
  });

  it("lists recent transactions (limit 1–200) in ledger order, like the GraphQL connection", async () => {
    const rest = await get("/api/mcp/credits/transactions?limit=4", bearer(acme.keys.read));
    const twin = await gateway.graphql(Ledger, { n: 4 }, bearer(acme.keys.read));
    expect(rest.body.transactions.map((r: { type: string; amount: number; balanceAfter: number }) => [r.type.toUpperCase(), String(r.amount), String(r.balanceAfter)]))
      .toEqual(twin.data!.workspace!.creditTransactions.edges.map((e) => [e.node.type, e.node.amount, e.node.balanceAfter]));
    for (const limit of ["0", "201", "abc", "1.5"]) {
      const bad = await get(`/api/mcp/credits/transactions?limit=${limit}`, bearer(acme.keys.read));
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ code: "INVALID_PARAMETER", param: "limit" });
    }
    const summary = await get("/api/mcp/billing/summary", bearer(acme.keys.read));
    expect(summary.body.recentTransactions.length).toBeGreaterThan(0);
    expect(summary.body.balance).toBe(rest.body.transactions[0].balanceAfter);
  });

  it("answers credentials and tenancy as the rest of the gateway does", async () => {
    const none = await get("/api/mcp/credits/balance");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="billing-gateway"');
    expect((await get("/api/mcp/credits/balance", bearer(acme.keys.write))).status).toBe(403);
    const foreign = await get(`/api/mcp/credits/balance?workspaceId=${globex.workspaceId}`, bearer(acme.keys.read));
    expect(foreign.status).toBe(404);
    const session = await signSessionToken(TEST_JWT_SECRET, acme.userId);
    const withId = await get(`/api/mcp/credits/balance?workspaceId=${acme.workspaceId}`, bearer(session));
    expect(withId.body.workspaceId).toBe(acme.workspaceId);
    expect((await get("/api/mcp/credits/balance", bearer(session))).status).toBe(404); // sessions must name the workspace
  });
});
