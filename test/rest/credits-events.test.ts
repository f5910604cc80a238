// The BuilderStudio credits routes and batch ingestion, as their clients call them; each figure
// matches its GraphQL twin.
import { describe, expect } from "vitest";
import { signSessionToken } from "../../src/auth/session-token.js";
import { insertPriceList } from "../../src/seed/price-list.js";
import { graphql } from "../gql/index.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, TEST_JWT_SECRET, type TestGateway } from "../helpers/gateway.js";

const Ledger = graphql(`
  query RestLedgerTwin($n: Int!) { workspace { creditBalance { credits } creditTransactions(first: $n) { edges { node { amount balanceAfter type } } } } }
`);

const test = gatewayTest().extend("priceList", { scope: "file", auto: true }, ({ db }) => db.withSession((session) => insertPriceList(session)));

async function get(gateway: TestGateway, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateway.url}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
}
async function post(gateway: TestGateway, body: string, contentType: string, key: string) {
  const response = await fetch(`${gateway.url}/api/v1/events`, { method: "POST", headers: { "content-type": contentType, ...bearer(key) }, body });
  return { status: response.status, body: await response.json() };
}
const events = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ idempotencyKey: `${prefix}-${i}`, sku: "storage-gb-hours", units: "12.5" }));

describe("REST credits and events", () => {
  test("ingests a JSON array and NDJSON through the recordUsage path, per record", async ({ gateway, tenants: { acme } }) => {
    const array = await post(gateway, JSON.stringify([...events("ev", 3), { idempotencyKey: "ev-0", sku: "storage-gb-hours", units: "1" }, { sku: "x" }]), "application/json", acme.keys.write);
    expect(array.status).toBe(200);
    expect(array.body).toMatchObject({ accepted: 3, duplicates: 1, rejected: 1, creditsDebited: 0.375 });
    expect(array.body.results.map((r: { status: string }) => r.status)).toEqual(["accepted", "accepted", "accepted", "duplicate", "rejected"]);
    expect(array.body.results[4].error).toMatchObject({ code: "VALIDATION_ERROR", param: "idempotencyKey" });
    const ndjson = await post(gateway, events("nd", 2).map((e) => JSON.stringify(e)).join("\n") + "\n", "application/x-ndjson", acme.keys.write);
    expect(ndjson.body).toMatchObject({ accepted: 2, duplicates: 0, rejected: 0 });
  });

  test("reads a batch of 1,000 records over 128 KB in order, each record as sent", async ({ gateway, tenants: { acme } }) => {
    const records = events(`large-${"k".repeat(120)}`, 1_000).map((record, i) => ({ ...record, notes: `clé "${i}" }, { 😀` }));
    records[500] = { ...records[500]!, units: "-1" };
    const body = JSON.stringify(records);
    expect(Buffer.byteLength(body)).toBeGreaterThan(128 * 1024);
    const first = await post(gateway, body, "application/json", acme.keys.write);
    expect(first.body).toMatchObject({ accepted: 999, duplicates: 0, rejected: 1 });
    expect(first.body.results.map((r: { idempotencyKey: string }) => r.idempotencyKey)).toEqual(records.map((r) => r.idempotencyKey));
    expect(first.body.results[500]).toMatchObject({ status: "rejected", error: { param: "units" } });
    const again = await post(gateway, body, "application/json", acme.keys.write);
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 999, rejected: 1 });
  });

  test("answers a retried batch from the stored keys, without pricing it or the workspace's lock, and the same as the first time", async ({ gateway, db, tenants: { acme } }) => {
    const batch = JSON.stringify([...events("retry", 3), { idempotencyKey: "retry-sku", sku: "no-such-sku", units: "1" }]);
    const first = await post(gateway, batch, "application/json", acme.keys.write);
    expect(first.body).toMatchObject({ accepted: 3, duplicates: 0, rejected: 1 });
    const statements: string[] = [];
    const stop = db.onQuery((sql) => statements.push(sql));
    let again;
    try {
      again = await post(gateway, JSON.stringify(JSON.parse(batch).slice(0, 3)), "application/json", acme.keys.write);
    } finally {
      stop();
    }
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 3, rejected: 0, creditsDebited: 0 });
    const ids = first.body.results.slice(0, 3).map((r: { id: string }) => r.id);
    expect(ids.every((id: string) => /^\d+$/.test(id))).toBe(true);
    expect(again.body.results.map((r: { id: string }) => r.id)).toEqual(ids);
    expect(statements.filter((sql) => /FOR UPDATE|lock_timeout/i.test(sql))).toEqual([]);
    expect(statements.filter((sql) => sql.includes('"Sku"'))).toEqual([]); // nothing to price
    // A stored key beside a new one: the new record is written under the lock, the old one reported.
    const mixed = await post(gateway, JSON.stringify([events("retry", 1)[0], ...events("retry-new", 1)]), "application/json", acme.keys.write);
    expect(mixed.body.results.map((r: { status: string }) => r.status)).toEqual(["duplicate", "accepted"]);
  });

  test("stores the good records of a mixed batch and rejects each bad one with its reason", async ({ gateway, db, tenants: { acme } }) => {
    const good = events("mixed", 3);
    const bad: unknown[] = [
      { ...good[0], idempotencyKey: "mixed-nul", notes: "a\u0000b" },
      { idempotencyKey: "mixed-date", sku: "storage-gb-hours", units: "1", occurredAt: "2026-02-30T00:00:00Z" },
      { idempotencyKey: "mixed-true", sku: "storage-gb-hours", units: "1", occurredAt: true },
      { idempotencyKey: "mixed-year", sku: "storage-gb-hours", units: "1", occurredAt: "0000-01-01T00:00:00Z" },
      { idempotencyKey: "mixed-huge", sku: "storage-gb-hours", units: "999999999999999999" },
      { idempotencyKey: "mixed-sku\u0000", sku: "storage-gb-hours", units: "1" },
      { idempotencyKey: "mixed-model", sku: "storage-gb-hours", units: "1", model: "gpt\u0007" },
      { idempotencyKey: "mixed-tokens", sku: "storage-gb-hours", units: "1", promptTokens: 1.5 },
      "not an object",
      null,
    ];
    const response = await post(gateway, JSON.stringify([good[0], ...bad, good[1], good[2]]), "application/json", acme.keys.write);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ accepted: 3, rejected: bad.length, duplicates: 0 });
    const statuses = response.body.results.map((r: { status: string }) => r.status);
    expect(statuses).toEqual(["accepted", ...bad.map(() => "rejected"), "accepted", "accepted"]);
    for (const result of response.body.results.slice(1, -2)) expect(result.error.code).toBe("VALIDATION_ERROR");
    expect(await db.prisma.usageRecord.count({ where: { idempotencyKey: { startsWith: "mixed-" } } })).toBe(3);
  });

  test("takes JSON and NDJSON only", async ({ gateway, tenants: { acme } }) => {
    for (const type of ["text/plain", "application/xml", "", "application/jsonx"]) {
      const response = await post(gateway, JSON.stringify(events("type", 1)), type, acme.keys.write);
      expect([type, response.status, response.body.error.code]).toEqual([type, 415, "UNSUPPORTED_MEDIA_TYPE"]);
    }
  });

  test("writes nothing for a batch rejected as a whole", async ({ gateway, db, tenants: { acme } }) => {
    const before = await db.prisma.usageRecord.count();
    const cases: [string, string, number, string][] = [
      ["[{", "application/json", 400, "INVALID_BODY"],
      ['{"idempotencyKey":"x"}', "application/json", 400, "INVALID_BODY"],
      ['{"idempotencyKey":"a","sku":"storage-gb-hours","units":"1"}\nnot json', "application/x-ndjson", 400, "INVALID_BODY"],
      [JSON.stringify(events("big", 1001)), "application/json", 400, "INVALID_BODY"],
      ["[]", "application/json", 400, "INVALID_BODY"],
    ];
    for (const [body, type, status, code] of cases) {
      const response = await post(gateway, body, type, acme.keys.write);
      expect([response.status, response.body.error.code]).toEqual([status, code]);
    }
    const oversized = await post(gateway, `[${" ".repeat(6 * 1024 * 1024)}]`, "application/json", acme.keys.write);
    expect([oversized.status, oversized.body.error.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
    expect(await db.prisma.usageRecord.count()).toBe(before);
    expect((await post(gateway, JSON.stringify(events("ro", 1)), "application/json", acme.keys.read)).status).toBe(403);
    const wrongMethod = await get(gateway, "/api/v1/events", bearer(acme.keys.write));
    expect(wrongMethod.status).toBe(405);
  });

  test("reports the balance, as its GraphQL twin does, with exact numbers", async ({ gateway, tenants: { acme } }) => {
    const rest = await get(gateway, "/api/mcp/credits/balance", bearer(acme.keys.read));
    expect(rest.status).toBe(200);
    const twin = await gateway.graphql(Ledger, { n: 10 }, bearer(acme.keys.read));
    expect(rest.text).toContain(`"balance":${twin.data!.workspace!.creditBalance!.credits}`);
    expect(rest.body).toMatchObject({ workspaceId: acme.workspaceId, creditPriceUsd: 0.01 });
  });

  test("lists recent transactions (limit 1–200) in ledger order, like the GraphQL connection", async ({ gateway, tenants: { acme } }) => {
    const rest = await get(gateway, "/api/mcp/credits/transactions?limit=4", bearer(acme.keys.read));
    const twin = await gateway.graphql(Ledger, { n: 4 }, bearer(acme.keys.read));
    expect(rest.body.transactions.map((r: { type: string; amount: number; balanceAfter: number }) => [r.type.toUpperCase(), String(r.amount), String(r.balanceAfter)]))
      .toEqual(twin.data!.workspace!.creditTransactions!.edges.map((e) => [e.node.type, e.node.amount, e.node.balanceAfter]));
    for (const limit of ["0", "201", "abc", "1.5"]) {
      const bad = await get(gateway, `/api/mcp/credits/transactions?limit=${limit}`, bearer(acme.keys.read));
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ code: "INVALID_PARAMETER", param: "limit" });
    }
    const summary = await get(gateway, "/api/mcp/billing/summary", bearer(acme.keys.read));
    expect(summary.body.recentTransactions.length).toBeGreaterThan(0);
    expect(summary.body.balance).toBe(rest.body.transactions[0].balanceAfter);
  });

  test("answers credentials and tenancy as the rest of the gateway does", async ({ gateway, clock, tenants: { acme, globex } }) => {
    const none = await get(gateway, "/api/mcp/credits/balance");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="billing-gateway"');
    expect((await get(gateway, "/api/mcp/credits/balance", bearer(acme.keys.write))).status).toBe(403);
    const foreign = await get(gateway, `/api/mcp/credits/balance?workspaceId=${globex.workspaceId}`, bearer(acme.keys.read));
    expect(foreign.status).toBe(404);
    const session = await signSessionToken(TEST_JWT_SECRET, acme.userId, clock.now());
    const withId = await get(gateway, `/api/mcp/credits/balance?workspaceId=${acme.workspaceId}`, bearer(session));
    expect(withId.body.workspaceId).toBe(acme.workspaceId);
    expect((await get(gateway, "/api/mcp/credits/balance", bearer(session))).status).toBe(404); // sessions must name the workspace
  });
});
