// The GraphQL-over-HTTP contract: graphql-http's server audits (every MUST), and the status of
// partial responses: 2xx whenever the response carries data, 4xx only for a request that cannot
// execute, under both media types.
import { auditServer } from "graphql-http";
import { describe, expect } from "vitest";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer } from "../helpers/gateway.js";

const test = gatewayTest();

async function post(url: string, query: string, accept: string, headers: Record<string, string>) {
  const response = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json", accept, ...headers }, body: JSON.stringify({ query }) });
  const body = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
  return { status: response.status, type: response.headers.get("content-type"), data: body.data, codes: (body.errors ?? []).map((e) => e.extensions?.code) };
}

describe("GraphQL over HTTP", () => {
  test("passes every required audit of graphql-http", async ({ gateway, tenants: { acme } }) => {
    // The audits send no credentials; the key rides on each of their requests.
    const fetchFn = (input: string | URL | Request, init: RequestInit = {}) =>
      fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), ...bearer(acme.keys.read) } });
    const results = await auditServer({ url: `${gateway.url}/graphql`, fetchFn });
    expect(results.length).toBeGreaterThan(30);
    const failures = results.filter((r) => r.status === "error").map((r) => `${r.id} ${r.name}: ${"reason" in r ? r.reason : ""}`);
    expect(failures).toEqual([]);
  });

  for (const accept of ["application/graphql-response+json", "application/json"]) {
    test(`answers 200 whenever data is present, and 4xx only without it (${accept})`, async ({ gateway, tenants: { acme } }) => {
      const key = bearer(acme.keys.read);
      // A field the caller may not read, next to one it may: data and the error, 200.
      const partial = await post(gateway.url, "{ viewer { kind } workspace { name apiKeys { name } } }", accept, key);
      expect(partial).toMatchObject({ status: 200, data: { viewer: { kind: "API_KEY" }, workspace: { apiKeys: null } }, codes: ["FORBIDDEN"] });
      // An argument refused by its resolver nulls that field only.
      const refused = await post(gateway.url, "{ workspace { name creditTransactions(first: 501) { totalCount } } }", accept, key);
      expect(refused).toMatchObject({ status: 200, data: { workspace: { name: expect.any(String), creditTransactions: null } }, codes: ["VALIDATION_ERROR"] });
      // Requests that cannot execute: no data, and their own status.
      // (application/json keeps its legacy 200 for a request error, as the spec recommends.)
      const syntax = await post(gateway.url, "{ viewer {", accept, key);
      expect([syntax.status, syntax.data, syntax.codes]).toEqual([accept === "application/json" ? 200 : 400, undefined, ["GRAPHQL_PARSE_FAILED"]]);
      const anonymous = await post(gateway.url, "{ viewer { kind } }", accept, {});
      expect([anonymous.status, anonymous.data, anonymous.codes]).toEqual([401, undefined, ["UNAUTHENTICATED"]]);
      expect(partial.type).toContain(accept);
    });
  }
});
