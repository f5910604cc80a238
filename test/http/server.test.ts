// The HTTP layer: probes, request ids, JSON logs without credentials, and a JSON answer with a
// stable code for every error a client can cause, GraphQL's own included.
import net from "node:net";
import { parse } from "graphql";
import { describe, expect } from "vitest";
import { EXAMPLE_OPERATIONS } from "../../src/graphql/examples.js";
import { insertPriceList } from "../../src/seed/price-list.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer } from "../helpers/gateway.js";

const test = gatewayTest();

/** Sends raw bytes and returns the status line, headers and body of the answer. */
function rawRequest(url: string, request: string): Promise<{ status: number; headers: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.end(request));
    let data = "";
    socket.on("data", (chunk) => (data += chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", body = ""] = data.split("\r\n\r\n");
      resolve({ status: Number(head.split(" ")[1]), headers: head, body });
    });
  });
}

describe("HTTP server", () => {
  test("answers /health while alive and /ready when the database is reachable and migrated", async ({ gateway, db }) => {
    expect(await (await fetch(`${gateway.url}/health`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${gateway.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", database: db.kind });
  });

  test("reports not ready while a migration is missing", async ({ gateway, db }) => {
    await db.prisma.$executeRawUnsafe(`UPDATE "_prisma_migrations" SET finished_at = NULL`);
    try {
      const ready = await fetch(`${gateway.url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: "migrating" });
    } finally {
      await db.prisma.$executeRawUnsafe(`UPDATE "_prisma_migrations" SET finished_at = now()`);
    }
  });

  test("serves GraphiQL to browsers without credentials, from its own files, with example operations that run", async ({ gateway, db, tenants: { acme } }) => {
    const page = await fetch(`${gateway.url}/graphql`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Billing gateway");
    // Every script and style is the gateway's own: nothing from a CDN.
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBe(2);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/graphiql\/\d+\.\d+\.\d+\//);
      const file = await fetch(`${gateway.url}${asset}`);
      expect([file.status, file.headers.get("content-encoding"), file.headers.get("cache-control")]).toEqual([200, "gzip", "public, max-age=31536000, immutable"]);
      expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    }
    await db.withSession((session) => insertPriceList(session));
    for (const example of EXAMPLE_OPERATIONS) {
      const result = await gateway.graphql(parse(example.query), example.variables ?? {}, bearer(acme.keys.admin));
      expect([example.query.split("\n")[1], result.errors]).toEqual([example.query.split("\n")[1], undefined]);
    }
    const [dashboard] = EXAMPLE_OPERATIONS;
    const result = await gateway.graphql(parse(dashboard!.query), {}, bearer(acme.keys.read));
    expect(result.data).toMatchObject({ viewer: { kind: "API_KEY" }, workspace: { name: "acme main", creditBalance: { credits: expect.any(String) } } });
  });

  test("echoes a request id, or makes one", async ({ gateway }) => {
    const own = await fetch(`${gateway.url}/health`, { headers: { "x-request-id": "req-123" } });
    expect(own.headers.get("x-request-id")).toBe("req-123");
    const made = await fetch(`${gateway.url}/health`, { headers: { "x-request-id": "bad id with spaces" } });
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("logs each request as JSON with its request id, and never a credential", async ({ gateway, logs, tenants: { acme } }) => {
    await gateway.graphql(parse("{ viewer { kind } }"), {}, { ...bearer(acme.keys.read), "x-request-id": "trace-me" });
    await gateway.graphql(parse("{ viewer { kind } }"), {}, bearer(`bgk_${"x".repeat(43)}`));
    const entries = logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toContainEqual(expect.objectContaining({ msg: "request", requestId: "trace-me", path: "/graphql", status: 200 }));
    expect(entries).toContainEqual(expect.objectContaining({ msg: "request", path: "/graphql", status: 401 }));
    expect(logs.join("\n")).not.toContain(acme.keys.read.slice(4));
    expect(logs.join("\n")).not.toContain("x".repeat(43));
  });

  test("answers unknown routes with a JSON 404", async ({ gateway }) => {
    const response = await fetch(`${gateway.url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "NOT_FOUND", message: "No route for GET /nope" } });
  });

  test("answers malformed GraphQL with 400 and a code to GraphQL-over-HTTP clients, never 500", async ({ gateway, tenants: { acme } }) => {
    const post = (body: string) =>
      fetch(`${gateway.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...bearer(acme.keys.read) },
        body,
      });
    for (const body of ["{not json", JSON.stringify({ query: "{ viewer { " }), JSON.stringify({ query: "{ nope }" }), JSON.stringify({ query: "{ viewer { kind } }", variables: [] })]) {
      const response = await post(body);
      expect(response.status, body).toBe(400);
      const answer = (await response.json()) as { errors: { extensions?: { code?: string } }[] };
      expect(answer.errors[0]?.extensions?.code, body).toMatch(/^[A-Z_]+$/);
    }
  });

  test("gives variable-coercion errors the BAD_USER_INPUT code", async ({ gateway, tenants: { acme } }) => {
    const cases: [string, Record<string, unknown>][] = [
      ["query ($n: Int) { workspace { creditTransactions(first: $n) { totalCount } } }", { n: "ten" }],
      ["query ($at: DateTime) { workspace { usageRecords(from: $at) { totalCount } } }", { at: "2026-02-30T00:00:00Z" }],
      ["query ($at: DateTime) { workspace { usageRecords(from: $at) { totalCount } } }", { at: "0000-01-01T00:00:00Z" }],
      ["query ($at: DateTime) { workspace { usageRecords(from: $at) { totalCount } } }", { at: true }],
      ["mutation ($d: Decimal!) { setUsageLimit(monthlyLimitUsd: $d) { __typename } }", { d: 1.5 }],
    ];
    for (const [query, variables] of cases) {
      const response = await gateway.graphql(parse(query), variables, bearer(acme.keys.read));
      expect(response.status, JSON.stringify(variables)).toBe(400);
      expect(response.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe("BAD_USER_INPUT");
    }
  });

  test("answers the wrong method, media type, size and header size with JSON and a code", async ({ gateway, tenants: { acme } }) => {
    const put = await fetch(`${gateway.url}/graphql`, { method: "PUT", body: "{}" });
    expect([put.status, put.headers.get("allow")]).toEqual([405, "GET, POST"]);
    expect(await put.json()).toMatchObject({ errors: [{ extensions: { code: "METHOD_NOT_ALLOWED" } }] });

    const text = await fetch(`${gateway.url}/graphql`, { method: "POST", headers: { "content-type": "text/plain", ...bearer(acme.keys.read) }, body: "{ viewer { kind } }" });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ errors: [{ extensions: { code: "UNSUPPORTED_MEDIA_TYPE" } }] });

    const huge = await fetch(`${gateway.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: `{ ${" ".repeat(2 * 1024 * 1024)} }` }) });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ errors: [{ extensions: { code: "PAYLOAD_TOO_LARGE" } }] });

    const restPost = await fetch(`${gateway.url}/api/mcp/credits/balance`, { method: "DELETE", headers: bearer(acme.keys.read) });
    expect([restPost.status, restPost.headers.get("allow")]).toEqual([405, "GET"]);
    expect(await restPost.json()).toMatchObject({ error: { code: "METHOD_NOT_ALLOWED" } });

    const probe = await fetch(`${gateway.url}/health`, { method: "POST" });
    expect([probe.status, probe.headers.get("allow")]).toEqual([405, "GET, HEAD"]);

    const headers = await rawRequest(gateway.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(headers.status).toBe(431);
    expect(JSON.parse(headers.body)).toMatchObject({ error: { code: "HEADERS_TOO_LARGE" } });

    const garbage = await rawRequest(gateway.url, "NOT HTTP AT ALL\r\n\r\n");
    expect(garbage.status).toBe(400);
    expect(JSON.parse(garbage.body)).toMatchObject({ error: { code: "BAD_REQUEST" } });
  });

  test("answers malformed percent-encoding in a path with 400", async ({ gateway, tenants: { acme } }) => {
    const response = await fetch(`${gateway.url}/api/v1/metrics/spaces/%ZZ?startDate=2026-01-01&endDate=2026-01-02`, { headers: bearer(acme.keys.read) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "INVALID_PARAMETER", param: "spaceId" } });
  });
});
