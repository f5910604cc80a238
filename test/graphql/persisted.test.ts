// Persisted operations: the dashboard's documents run by their hash; with GRAPHQL_PERSISTED_ONLY
// a dashboard session may send nothing else, while API keys keep sending any operation.
import fs from "node:fs";
import { describe, expect } from "vitest";
import { signSessionToken } from "../../src/auth/session-token.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, startGateway, TEST_JWT_SECRET, type TestGateway } from "../helpers/gateway.js";

const manifest = JSON.parse(fs.readFileSync(new URL("../../web/src/gql/persisted-documents.json", import.meta.url), "utf8")) as Record<string, string>;
const viewerId = Object.keys(manifest).find((id) => manifest[id]!.startsWith("query DashboardViewer"))!;

async function post(gateway: TestGateway, body: object, headers: Record<string, string>) {
  const response = await fetch(`${gateway.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...headers }, body: JSON.stringify(body) });
  const json = (await response.json()) as { data?: { viewer?: { kind: string } }; errors?: { extensions?: { code?: string } }[] };
  return [response.status, json.data?.viewer?.kind ?? null, json.errors?.[0]?.extensions?.code ?? null];
}

const test = gatewayTest().extend("persistedOnly", { scope: "file" }, async ({ db, clock }, { onCleanup }) => {
  const gateway = await startGateway(db, { clock, env: { GRAPHQL_PERSISTED_ONLY: "true" } });
  onCleanup(() => gateway.close());
  return gateway;
});

describe("persisted operations", () => {
  test("run the dashboard's documents by hash, and refuse an unknown hash", async ({ gateway, tenants: { acme } }) => {
    expect(viewerId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await post(gateway, { documentId: viewerId }, bearer(acme.keys.read))).toEqual([200, "API_KEY", null]);
    expect(await post(gateway, { documentId: `sha256:${"0".repeat(64)}` }, bearer(acme.keys.read))).toEqual([400, null, "PERSISTED_QUERY_NOT_FOUND"]);
    // Without GRAPHQL_PERSISTED_ONLY a session sends any operation.
    const session = bearer(await signSessionToken(TEST_JWT_SECRET, acme.userId, gateway.clock.now()));
    expect(await post(gateway, { query: "{ viewer { kind } }" }, session)).toEqual([200, "USER", null]);
  });

  test("GRAPHQL_PERSISTED_ONLY refuses a session's ad-hoc operation, not its persisted one nor an API key's", async ({ persistedOnly, tenants: { acme } }) => {
    const session = bearer(await signSessionToken(TEST_JWT_SECRET, acme.userId, persistedOnly.clock.now()));
    expect(await post(persistedOnly, { query: "{ viewer { kind } }" }, session)).toEqual([403, null, "PERSISTED_QUERY_ONLY"]);
    expect(await post(persistedOnly, { documentId: viewerId }, session)).toEqual([200, "USER", null]);
    expect(await post(persistedOnly, { query: "{ viewer { kind } }" }, bearer(acme.keys.read))).toEqual([200, "API_KEY", null]);
    expect(await post(persistedOnly, { query: "{ viewer { kind } }" }, {})).toEqual([401, null, "UNAUTHENTICATED"]);
  });
});
