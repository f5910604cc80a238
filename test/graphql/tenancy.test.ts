// One tenant's credentials reaching for another tenant's objects get "not found", never the object
// and never "forbidden", whichever entry point they use.
import { describe, expect } from "vitest";
import { graphql } from "../gql/index.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer } from "../helpers/gateway.js";

const WorkspaceIds = graphql(`
  query TenancyWorkspaceIds {
    viewer { defaultWorkspace { id organization { id } apiKeys { id } } }
  }
`);
const WorkspaceById = graphql(`
  query TenancyWorkspaceById($id: ID, $slug: String) {
    workspace(id: $id, slug: $slug) { slug }
  }
`);
const OrganizationNode = graphql(`
  query TenancyOrganizationNode($id: ID!) {
    node(id: $id) { id ... on Organization { slug workspaces { id } } }
    organization { id }
  }
`);
const NodeById = graphql(`
  query TenancyNode($id: ID!, $ids: [ID!]!) {
    node(id: $id) { id __typename }
    nodes(ids: $ids) { id }
  }
`);
const OrganizationById = graphql(`
  query TenancyOrganization($id: ID) {
    organization(id: $id) { slug workspaces { slug } }
  }
`);

const test = gatewayTest().extend("globexIds", { scope: "file" }, async ({ gateway, tenants }) => {
  const own = await gateway.graphql(WorkspaceIds, {}, bearer(tenants.globex.keys.admin));
  const ws = own.data!.viewer.defaultWorkspace!;
  return { workspace: ws.id, organization: ws.organization.id, apiKey: ws.apiKeys![0]!.id };
});

describe("tenancy", () => {
  test("finds its own workspace by global id and slug", async ({ gateway, tenants: { globex }, globexIds }) => {
    const own = await gateway.graphql(WorkspaceById, { id: globexIds.workspace }, bearer(globex.keys.read));
    expect(own.data?.workspace?.slug).toBe("globex-main");
    const bySlug = await gateway.graphql(WorkspaceById, { slug: "globex-main" }, bearer(globex.keys.read));
    expect(bySlug.data?.workspace?.slug).toBe("globex-main");
  });

  test("gets null for another tenant's workspace by id or slug", async ({ gateway, tenants: { acme }, globexIds }) => {
    for (const variables of [{ id: globexIds.workspace }, { slug: "globex-main" }, { slug: "acme-other" }]) {
      const response = await gateway.graphql(WorkspaceById, variables, bearer(acme.keys.admin));
      expect(response.status).toBe(200);
      expect(response.errors).toBeUndefined();
      expect(response.data?.workspace).toBeNull();
    }
  });

  test("gets null from node and nodes for another tenant's workspace, organization and API key", async ({ gateway, tenants: { acme, globex }, globexIds }) => {
    for (const id of Object.values(globexIds)) {
      const response = await gateway.graphql(NodeById, { id, ids: [id] }, bearer(acme.keys.admin));
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual({ node: null, nodes: [null] });
    }
    const own = await gateway.graphql(NodeById, { id: globexIds.apiKey, ids: [globexIds.workspace] }, bearer(globex.keys.admin));
    expect(own.data?.node?.__typename).toBe("ApiKey");
    expect(own.data?.nodes).toEqual([{ id: globexIds.workspace }]);
  });

  test("treats well-formed unknown ids as not found and malformed or unknown-type ids as bad input, never a 500", async ({ gateway, tenants: { acme } }) => {
    const forged = Buffer.from("Workspace:not-a-uuid").toString("base64");
    const unknown = Buffer.from("Workspace:00000000-0000-4000-8000-000000000000").toString("base64");
    const response = await gateway.graphql(NodeById, { id: forged, ids: [unknown] }, bearer(acme.keys.admin));
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ node: null, nodes: [null] });
    for (const id of ["garbage", Buffer.from("Nope:1").toString("base64"), Buffer.from("Workspace:\u0000").toString("base64"), "", "x".repeat(5000)]) {
      const bad = await gateway.graphql(NodeById, { id, ids: [] }, bearer(acme.keys.admin));
      expect(bad.status, id.slice(0, 20)).toBe(200); // data is present (node: null), so a 2xx with the error
      expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(bad.errors?.[0]?.message).toMatch(/global id/i);
    }
  });

  test("lets an organization key see every workspace of its own organization only", async ({ gateway, tenants: { acme, globex }, globexIds }) => {
    const own = await gateway.graphql(OrganizationById, {}, bearer(globex.keys.orgAdmin));
    expect(own.data?.organization).toEqual({ slug: "globex", workspaces: [{ slug: "globex-main" }, { slug: "globex-other" }] });
    const other = await gateway.graphql(OrganizationById, { id: globexIds.organization }, bearer(acme.keys.orgAdmin));
    expect(other.errors).toBeUndefined();
    expect(other.data?.organization).toBeNull();
  });

  test("shows a workspace key its organization but only its own workspace in it", async ({ gateway, tenants: { acme } }) => {
    const response = await gateway.graphql(WorkspaceIds, {}, bearer(acme.keys.admin));
    const orgId = response.data!.viewer.defaultWorkspace!.organization.id;
    // Refetchable (Relay): node() of that id is the organization, still showing only the key's workspace,
    // and it is the key's default organization.
    const node = await gateway.graphql(OrganizationNode, { id: orgId }, bearer(acme.keys.admin));
    expect(node.data).toEqual({ node: { id: orgId, slug: "acme", workspaces: [{ id: response.data!.viewer.defaultWorkspace!.id }] }, organization: { id: orgId } });
  });
});
