import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GRAPHIQL_DEFAULT_QUERY } from "../../src/graphql/yoga.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { bearer, startGateway, type TestGateway } from "../helpers/gateway.js";
import { createTenant, type Tenant } from "../helpers/tenants.js";
import { parse } from "graphql";

describe("HTTP server", () => {
  let t: TestDatabase;
  let gateway: TestGateway;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await createTestDatabase();
    gateway = await startGateway(t.db);
    tenant = await createTenant(t.db, "acme");
  });
  afterAll(async () => {
    await gateway.close();
    await t.drop();
  });

  it("answers /health while alive and /ready when the database is reachable and migrated", async () => {
    expect(await (await fetch(`${gateway.url}/health`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${gateway.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", database: t.db.kind });
  });

  it("reports not ready while a migration is missing", async () => {
    await t.db.prisma.$executeRawUnsafe(`UPDATE "_prisma_migrations" SET finished_at = NULL`);
    try {
      const ready = await fetch(`${gateway.url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: "migrating" });
    } finally {
      await t.db.prisma.$executeRawUnsafe(`UPDATE "_prisma_migrations" SET finished_at = now()`);
    }
  });

  it("serves GraphiQL to browsers without credentials, with a default query that runs", async () => {
    const page = await fetch(`${gateway.url}/graphql`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Billing gateway");
    const result = await gateway.graphql(parse(GRAPHIQL_DEFAULT_QUERY), {}, bearer(tenant.keys.read));
    expect(result.errors).toBeUndefined();
    expect(result.data).toMatchObject({ viewer: { kind: "API_KEY" }, workspace: { name: "acme main", creditBalance: { credits: "1000" } } });
  });

  it("echoes a request id, or makes one", async () => {
    const own = await fetch(`${gateway.url}/health`, { headers: { "x-request-id": "req-123" } });
    expect(own.headers.get("x-request-id")).toBe("req-123");
    const made = await fetch(`${gateway.url}/health`, { headers: { "x-request-id": "bad id with spaces" } });
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("logs each request as JSON with its request id, and never a credential", async () => {
    const lines: string[] = [];
    const logged = await startGateway(t.db, {}, { write: (line) => void lines.push(line) });
    try {
      await logged.graphql(parse("{ viewer { kind } }"), {}, { ...bearer(tenant.keys.read), "x-request-id": "trace-me" });
      await logged.graphql(parse("{ viewer { kind } }"), {}, bearer(`bgk_${"x".repeat(43)}`));
    } finally {
      await logged.close();
    }
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toContainEqual(expect.objectContaining({ msg: "request", requestId: "trace-me", path: "/graphql", status: 200 }));
    expect(entries).toContainEqual(expect.objectContaining({ msg: "request", path: "/graphql", status: 401 }));
    expect(lines.join("\n")).not.toContain(tenant.keys.read.slice(4));
    expect(lines.join("\n")).not.toContain("x".repeat(43));
  });

  it("answers unknown routes with a JSON 404", async () => {
    const response = await fetch(`${gateway.url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "NOT_FOUND", message: "No route for GET /nope" } });
  });

  it("answers malformed GraphQL with 400 to GraphQL-over-HTTP clients, never 500", async () => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...bearer(tenant.keys.read) },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    const syntax = await fetch(`${gateway.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...bearer(tenant.keys.read) },
      body: JSON.stringify({ query: "{ viewer { " }),
    });
    expect(syntax.status).toBe(400);
  });
});
