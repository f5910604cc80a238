// Inside one tenant, each scope reads what it may and nothing else, whichever entry point it uses:
// usage records, executions, the ledger, rollups and FOCUS rows need read:billing (node and nodes
// included); API-key metadata needs admin, except a key's own through viewer.
import { parse } from "graphql";
import { describe, expect } from "vitest";
import { insertPriceList } from "../../src/seed/price-list.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, type GraphQLResponse } from "../helpers/gateway.js";

const q = (source: string) => parse(source);

const test = gatewayTest().extend("written", { scope: "file" }, async ({ db, gateway, tenants: { acme } }) => {
  await db.withSession((session) => insertPriceList(session));
  const usage = await gateway.graphql<{ recordUsage: { results: { usageRecord: { id: string } }[] } }, object>(
    q(`mutation { recordUsage(records: [{ idempotencyKey: "access-1", sku: "storage-gb-hours", units: "2" }]) { ... on RecordUsagePayload { results { usageRecord { id } } } } }`),
    {}, bearer(acme.keys.write),
  );
  const execution = await gateway.graphql<{ recordExecution: { execution: { id: string } } }, object>(
    q(`mutation { recordExecution(input: { workflow: "w", trigger: "api", model: "m", costUsd: "0.5" }) { ... on RecordExecutionPayload { execution { id } } } }`),
    {}, bearer(acme.keys.write),
  );
  const ledger = await gateway.graphql<{ workspace: { creditTransactions: { nodes: { id: string }[] }; apiKeys: { id: string; name: string }[] } }, object>(
    q(`{ workspace { creditTransactions(first: 1) { nodes { id } } apiKeys { id name } } }`), {}, bearer(acme.keys.admin),
  );
  return {
    usageRecordId: usage.data!.recordUsage.results[0]!.usageRecord.id,
    executionId: execution.data!.recordExecution.execution.id,
    ledgerId: ledger.data!.workspace.creditTransactions.nodes[0]!.id,
    adminKeyId: ledger.data!.workspace.apiKeys.find((k) => k.name === "read:billing+write:usage+admin")!.id,
    readKeyId: ledger.data!.workspace.apiKeys.find((k) => k.name === "read:billing")!.id,
  };
});

const codes = (response: GraphQLResponse<unknown>) => (response.errors ?? []).map((e) => e.extensions?.code);

describe("scopes inside one tenant", () => {
  test("a write:usage key reads none of the billing data, not even what it wrote, through node or nodes", async ({ gateway, tenants: { acme }, written }) => {
    const ids = [written.usageRecordId, written.executionId, written.ledgerId];
    const byNode = await gateway.graphql<{ a: unknown; b: unknown; c: unknown; all: unknown[] }, object>(
      q(`query ($a: ID!, $b: ID!, $c: ID!, $all: [ID!]!) { a: node(id: $a) { id } b: node(id: $b) { id } c: node(id: $c) { id } all: nodes(ids: $all) { id } }`),
      { a: ids[0], b: ids[1], c: ids[2], all: ids }, bearer(acme.keys.write),
    );
    expect(byNode.data).toEqual({ a: null, b: null, c: null, all: [null, null, null] });
    const reads = [
      "usageRecords(first: 1) { totalCount }", "executions(first: 1) { totalCount }", "creditTransactions(first: 1) { totalCount }",
      "creditBalance { credits }", "usageRollup(period: LAST_7_DAYS) { totals { costUsd } }", "spending { costUsd }", "workflows { name }",
      `focusMetadata(from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z")`, `focusRows(from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z") { hasNextPage }`,
      `activityMetrics(startDate: "2026-01-01", endDate: "2026-01-02") { summary { users } }`, "apiKeys { name }",
    ];
    for (const read of reads) {
      const response = await gateway.graphql(q(`{ workspace { ${read} } }`), {}, bearer(acme.keys.write));
      // 200 with the refusal and nothing readable: the response carries data (GraphQL over HTTP).
      const nothing = { workspace: { [read.split(/[ ({]/)[0]!]: null } };
      expect([read, response.status, codes(response), response.data]).toEqual([read, 200, ["FORBIDDEN"], nothing]);
    }
    // Its organization stays readable; only the metrics it may not read are null.
    const org = await gateway.graphql<{ organization: { slug: string; activityMetrics: unknown } }, object>(
      q(`{ organization { slug activityMetrics(startDate: "2026-01-01", endDate: "2026-01-02") { summary { users } } } }`), {}, bearer(acme.keys.write),
    );
    expect([org.status, codes(org), org.data]).toEqual([200, ["FORBIDDEN"], { organization: { slug: "acme", activityMetrics: null } }]);
    // Nor through recordUsage: repeating a key tells the stored record's id, not the record, and no balance.
    const retry = `mutation { recordUsage(records: [{ idempotencyKey: "access-1", sku: "storage-gb-hours", units: "2" }]) {
      ... on RecordUsagePayload { creditBalance { credits } results { status existingUsageRecordId usageRecord { id credits } } } } }`;
    const byWriter = await gateway.graphql<{ recordUsage: unknown }, object>(q(retry), {}, bearer(acme.keys.write));
    expect(byWriter.errors).toBeUndefined();
    expect(byWriter.data!.recordUsage).toEqual({ creditBalance: null, results: [{ status: "DUPLICATE", existingUsageRecordId: written.usageRecordId, usageRecord: null }] });
    const byAdmin = await gateway.graphql<{ recordUsage: { creditBalance: { credits: string } | null; results: { usageRecord: { id: string } | null }[] } }, object>(q(retry), {}, bearer(acme.keys.admin));
    expect(byAdmin.data!.recordUsage.results[0]!.usageRecord?.id).toBe(written.usageRecordId);
    expect(byAdmin.data!.recordUsage.creditBalance?.credits).toMatch(/^\d/);
  });

  test("a read:billing key reads the billing data but no API-key metadata but its own", async ({ gateway, tenants: { acme }, written }) => {
    const node = await gateway.graphql<{ record: unknown; admin: unknown; own: { id: string } | null }, object>(
      q(`query ($record: ID!, $admin: ID!, $own: ID!) { record: node(id: $record) { id } admin: node(id: $admin) { id } own: node(id: $own) { id } }`),
      { record: written.usageRecordId, admin: written.adminKeyId, own: written.readKeyId }, bearer(acme.keys.read),
    );
    expect(node.data).toEqual({ record: { id: written.usageRecordId }, admin: null, own: { id: written.readKeyId } });
    const recordKey = await gateway.graphql<{ workspace: { usageRecords: { nodes: { apiKey: unknown }[] } } }, object>(
      q(`{ workspace { usageRecords(first: 1) { nodes { id apiKey { name scopes lastUsedAt } } } } }`), {}, bearer(acme.keys.read),
    );
    expect(recordKey.data?.workspace.usageRecords.nodes).toEqual([{ id: written.usageRecordId, apiKey: null }]);
    expect(codes(recordKey)).toEqual(["FORBIDDEN"]);
    const viewer = await gateway.graphql<{ viewer: { apiKey: { id: string; name: string } } }, object>(q(`{ viewer { apiKey { id name } } }`), {}, bearer(acme.keys.read));
    expect(viewer.data?.viewer.apiKey).toEqual({ id: written.readKeyId, name: "read:billing" });
    // Data next to the refusal: 200 (GraphQL over HTTP), and the workspace stays.
    const list = await gateway.graphql<{ workspace: { name: string; apiKeys: unknown } }, object>(q(`{ workspace { name apiKeys { name } } }`), {}, bearer(acme.keys.read));
    expect([list.status, codes(list), list.data?.workspace]).toEqual([200, ["FORBIDDEN"], { name: expect.any(String), apiKeys: null }]);
  });

  test("an admin key reads everything of its workspace, key metadata included", async ({ gateway, tenants: { acme }, written }) => {
    const response = await gateway.graphql<{ record: { apiKey: { name: string } }; execution: { id: string }; ledger: { id: string }; key: { id: string } }, object>(
      q(`query ($record: ID!, $execution: ID!, $ledger: ID!, $key: ID!) {
        record: node(id: $record) { ... on UsageRecord { apiKey { name } } }
        execution: node(id: $execution) { id } ledger: node(id: $ledger) { id } key: node(id: $key) { id } }`),
      { record: written.usageRecordId, execution: written.executionId, ledger: written.ledgerId, key: written.readKeyId }, bearer(acme.keys.admin),
    );
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ record: { apiKey: { name: "write:usage" } }, execution: { id: written.executionId }, ledger: { id: written.ledgerId }, key: { id: written.readKeyId } });
  });

  test("REST routes need the same scopes as their GraphQL twins", async ({ gateway, clock, tenants: { acme } }) => {
    const now = clock.now().getTime();
    const routes = [
      "/api/mcp/credits/balance", "/api/mcp/credits/transactions", "/api/mcp/billing/summary", "/api/v1/billing/usage", "/api/v1/billing/usage/analytics",
      "/api/v1/usage", "/api/billing/usage", "/api/billing/usage/export", `/api/billing/focus-export?from=${now - 86_400_000}&to=${now}`,
      `/api/billing/focus-metadata?from=${now - 86_400_000}&to=${now}`, `/api/v1/metrics/spaces/${acme.workspaceId}?startDate=2026-01-01&endDate=2026-01-02`,
    ];
    for (const route of routes) {
      const write = await fetch(`${gateway.url}${route}`, { headers: bearer(acme.keys.write) });
      expect([route, write.status, (await write.json()).error.code]).toEqual([route, 403, "FORBIDDEN"]);
      const read = await fetch(`${gateway.url}${route}`, { headers: bearer(acme.keys.read) });
      await read.arrayBuffer();
      expect([route, read.status]).toEqual([route, 200]);
    }
    const post = await fetch(`${gateway.url}/api/v1/events`, { method: "POST", headers: { ...bearer(acme.keys.read), "content-type": "application/json" }, body: "[]" });
    expect(post.status).toBe(403);
  });
});
