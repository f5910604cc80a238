// /metrics in Prometheus' text format: scraped before and after known traffic, each counter moves by
// exactly that traffic; label values are route patterns and bounded operation names, never ids;
// METRICS_TOKEN guards it.
import net from "node:net";
import { describe, expect } from "vitest";
import { insertPriceList } from "../../src/seed/price-list.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, startGateway, type TestGateway } from "../helpers/gateway.js";

const test = gatewayTest({ env: { FOCUS_RATE_LIMIT_PER_MINUTE: "3" } }).extend("priceList", { scope: "file", auto: true }, ({ db }) => db.withSession((session) => insertPriceList(session)));

type Samples = Map<string, number>;

/** Parses the text format into `name{labels}` → value. */
function parse(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

async function scrape(gateway: TestGateway, headers: Record<string, string> = {}): Promise<Samples> {
  const response = await fetch(`${gateway.url}/metrics`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(await response.text());
}

const moved = (before: Samples, after: Samples, sample: string) => (after.get(sample) ?? 0) - (before.get(sample) ?? 0);

describe("/metrics", () => {
  test("counts known traffic exactly, by route pattern, operation, outcome and format", async ({ db, gateway, clock, tenants: { acme } }) => {
    const before = await scrape(gateway);
    const headers = { "content-type": "application/json", ...bearer(acme.keys.admin) };
    const events = [{ idempotencyKey: "m-1", sku: "storage-gb-hours", units: "1" }, { idempotencyKey: "m-2", sku: "storage-gb-hours", units: "1" }, { sku: "nope" }];
    await (await fetch(`${gateway.url}/api/v1/events`, { method: "POST", headers, body: JSON.stringify(events) })).json();
    await (await fetch(`${gateway.url}/api/v1/events`, { method: "POST", headers, body: JSON.stringify(events.slice(0, 1)) })).json();
    for (const id of [acme.workspaceId, acme.otherWorkspaceId, "00000000-0000-4000-8000-000000000000"]) {
      await (await fetch(`${gateway.url}/api/v1/metrics/spaces/${id}?startDate=2026-11-01&endDate=2026-11-14`, { headers })).arrayBuffer();
    }
    await (await fetch(`${gateway.url}/no/such/path/${crypto.randomUUID()}`)).arrayBuffer();
    const gql = (query: string) => fetch(`${gateway.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query }) }).then((r) => r.json());
    await gql("query Balance { workspace { creditBalance { credits } } }");
    await gql("query Balance { workspace { creditBalance { credits } } }");
    await gql("query Broken { workspace { nope } }");
    await (await fetch(`${gateway.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "query Intruder { __typename }" }) })).json();
    const now = clock.now().getTime();
    const range = `from=${now - 86_400_000}&to=${now + 86_400_000}`;
    const csv = await (await fetch(`${gateway.url}/api/billing/focus-export?${range}&format=csv`, { headers })).text();
    const exported = csv.trimEnd().split("\r\n").length - 1;
    for (let i = 0; i < 3; i++) await (await fetch(`${gateway.url}/api/billing/focus-metadata?${range}`, { headers })).arrayBuffer();
    const after = await scrape(gateway);

    const http = (route: string, method: string, status: number) => moved(before, after, `billing_gateway_http_requests_total{route="${route}",method="${method}",status="${status}"}`);
    expect(http("/api/v1/events", "POST", 200)).toBe(2);
    expect(http("/api/v1/metrics/spaces/:spaceId", "GET", 200)).toBe(1);
    expect(http("/api/v1/metrics/spaces/:spaceId", "GET", 404)).toBe(2); // another workspace, and none
    expect(http("(unmatched)", "GET", 404)).toBe(1);
    expect(http("/graphql", "POST", 200) + http("/graphql", "POST", 400)).toBe(3);
    expect(http("/graphql", "POST", 401)).toBe(1);
    expect(http("/api/billing/focus-metadata", "GET", 429)).toBe(1); // the budget is 3: export and two metadata requests
    expect(moved(before, after, `billing_gateway_http_request_duration_seconds_count{route="/api/v1/events",method="POST",status="200"}`)).toBe(2);
    expect(moved(before, after, `billing_gateway_graphql_operations_total{operation="Balance",result="success"}`)).toBe(2);
    // Refused before execution (invalid, or no key): counted, but their names take no label value.
    expect(moved(before, after, `billing_gateway_graphql_operations_total{operation="(not executed)",result="error"}`)).toBe(2);
    expect([...after.keys()].filter((sample) => /Broken|Intruder/.test(sample))).toEqual([]);
    expect(moved(before, after, `billing_gateway_graphql_operation_duration_seconds_count{operation="Balance",result="success"}`)).toBe(2);
    expect(moved(before, after, `billing_gateway_usage_records_total{outcome="accepted"}`)).toBe(2);
    expect(moved(before, after, `billing_gateway_usage_records_total{outcome="duplicate"}`)).toBe(1);
    expect(moved(before, after, `billing_gateway_usage_records_total{outcome="rejected"}`)).toBe(1);
    expect(exported).toBeGreaterThan(0);
    expect(moved(before, after, `billing_gateway_focus_rows_exported_total{dataset="cost-and-usage",format="csv"}`)).toBe(exported);
    expect(moved(before, after, `billing_gateway_rate_limited_total{limit="focus"}`)).toBe(1);
    const pool = (state: string) => after.get(`billing_gateway_db_pool_connections{state="${state}"}`);
    for (const state of ["idle", "busy", "waiting"]) expect(pool(state)).toBeGreaterThanOrEqual(0);
    if (db.kind === "pglite") expect(pool("idle")! + pool("busy")!).toBe(1); // its one connection
    expect(after.get("billing_gateway_ledger_writes_waiting")).toBe(0);
    expect(after.get("billing_gateway_requests_waiting")).toBe(0);
    expect(after.has("billing_gateway_credit_expirations_total")).toBe(true);
    expect(after.get("process_resident_memory_bytes")).toBeGreaterThan(0);
    expect([...after.keys()].some((name) => name.startsWith("nodejs_eventloop_lag"))).toBe(true);
    // No path, id or key in any label.
    const labels = [...after.keys()].join("\n");
    for (const id of [acme.workspaceId, acme.otherWorkspaceId, "00000000-0000-4000-8000-000000000000", "no/such"]) expect(labels).not.toContain(id);
  });

  test("counts a request the client gave up on before its answer as 499", async ({ gateway, tenants: { acme } }) => {
    const before = await scrape(gateway);
    // Half a body, then the connection closes: the answer is never sent in full.
    const socket = net.connect(Number(new URL(gateway.url).port), "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(`POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${acme.keys.write}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{"sku":`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    const sample = `billing_gateway_http_requests_total{route="/api/v1/events",method="POST",status="499"}`;
    await expect.poll(async () => moved(before, await scrape(gateway), sample), { timeout: 5_000 }).toBe(1);
  });

  test("counts credit expirations once posted", async ({ gateway, clock, tenants: { acme } }) => {
    const headers = { "content-type": "application/json", ...bearer(acme.keys.admin) };
    const expiresAt = new Date(clock.now().getTime() + 1_000).toISOString();
    const grant = await fetch(`${gateway.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query: `mutation { grantCredits(input: { credits: "3", expiresAt: "${expiresAt}" }) { __typename } }` }) });
    expect(await grant.json()).toMatchObject({ data: { grantCredits: { __typename: "CreditTransactionPayload" } } });
    const before = await scrape(gateway);
    clock.advance(2_000);
    expect(await gateway.creditExpiry.runOnce()).toBe(1);
    expect(moved(before, await scrape(gateway), "billing_gateway_credit_expirations_total")).toBe(1);
  });

  test("with METRICS_TOKEN, answers only its bearer", async ({ db, clock }) => {
    const gateway = await startGateway(db, { clock, env: { METRICS_TOKEN: "metrics-token-0123456789" } });
    try {
      for (const authorization of [undefined, "Bearer wrong-token-0123456789ab", "Bearer metrics-token-012345678"]) {
        const refused = await fetch(`${gateway.url}/metrics`, { headers: authorization ? { authorization } : {} });
        expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([401, "UNAUTHENTICATED"]);
      }
      expect((await scrape(gateway, bearer("metrics-token-0123456789"))).size).toBeGreaterThan(20);
    } finally {
      await gateway.close();
    }
  });
});
