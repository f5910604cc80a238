import { describe, expect } from "vitest";
import { graphql } from "../gql/index.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, operatorKey } from "../helpers/gateway.js";

const CreateKey = graphql(`
  mutation CreateKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      __typename
      ... on CreateApiKeyPayload { secret apiKey { id name hint scopes status workspace { slug } } }
      ... on ValidationError { issues { path message } }
      ... on NotFoundError { entity }
    }
  }
`);
const RevokeKey = graphql(`
  mutation RevokeKey($id: ID!) {
    revokeApiKey(id: $id) {
      __typename
      ... on RevokeApiKeyPayload { apiKey { status revokedAt } }
      ... on NotFoundError { entity }
    }
  }
`);
const Keys = graphql(`
  query ListKeys { workspace { id apiKeys { id name hint } } viewer { apiKey { id } } }
`);

const test = gatewayTest();

describe("API key mutations", () => {
  test("creates a key shown once, stored only as a hash, that works at once", async ({ gateway, db, tenants: { acme } }) => {
    const response = await gateway.graphql(CreateKey, { input: { name: "CI reader", scopes: ["READ_BILLING"] } }, bearer(acme.keys.admin));
    const result = response.data!.createApiKey;
    if (result.__typename !== "CreateApiKeyPayload") throw new Error(`unexpected ${result.__typename}`);
    expect(result.secret).toMatch(/^bgk_[A-Za-z0-9_-]{43}$/);
    expect(result.apiKey).toMatchObject({ name: "CI reader", scopes: ["READ_BILLING"], status: "ACTIVE", workspace: { slug: "acme-main" } });
    expect(result.secret.startsWith(result.apiKey.hint)).toBe(true);
    const stored = await db.prisma.$queryRawUnsafe<Record<string, unknown>[]>(`SELECT * FROM "ApiKey"`);
    expect(JSON.stringify(stored)).not.toContain(result.secret.slice(4));
    const viewer = await gateway.graphql(Keys, {}, bearer(result.secret));
    // A read-only key may not list keys: that field is null with FORBIDDEN, the rest is answered.
    expect([viewer.status, viewer.errors?.[0]?.extensions?.code, viewer.data?.workspace?.apiKeys, viewer.data?.viewer.apiKey?.id]).toEqual([200, "FORBIDDEN", null, result.apiKey.id]);
    const listed = await gateway.graphql(Keys, {}, bearer(acme.keys.admin));
    expect(listed.data?.workspace?.apiKeys?.map((k) => k.name)).toContain("CI reader");
    expect(JSON.stringify(listed.data)).not.toContain(result.secret);
  });

  test("answers bad input with a ValidationError naming the fields", async ({ gateway, tenants: { acme } }) => {
    const response = await gateway.graphql(
      CreateKey,
      { input: { name: " ", scopes: [], expiresAt: "2001-01-01T00:00:00Z" } },
      bearer(acme.keys.admin),
    );
    const result = response.data!.createApiKey;
    expect(result.__typename).toBe("ValidationError");
    if (result.__typename !== "ValidationError") return;
    expect(result.issues.map((i) => i.path.join("."))).toEqual(expect.arrayContaining(["name", "scopes", "expiresAt"]));
  });

  test("refuses keys without the admin scope with 403", async ({ gateway, db, tenants: { acme } }) => {
    const response = await gateway.graphql(CreateKey, { input: { name: "x", scopes: ["ADMIN"] } }, bearer(acme.keys.read));
    expect(response.status).toBe(403);
    expect(response.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await db.prisma.apiKey.count({ where: { name: "x" } })).toBe(0);
  });

  test("grants no scope the creating key does not hold itself", async ({ gateway, db, clock, tenants: { acme } }) => {
    const adminOnly = await operatorKey(db, { name: "admin only", scopes: ["admin"], workspaceId: acme.workspaceId }, clock);
    const response = await gateway.graphql(CreateKey, { input: { name: "reader", scopes: ["READ_BILLING"] } }, bearer(adminOnly));
    expect([response.status, response.errors?.[0]?.extensions?.code]).toEqual([403, "FORBIDDEN"]);
    expect(await db.prisma.apiKey.count({ where: { name: "reader" } })).toBe(0);
    const own = await gateway.graphql(CreateKey, { input: { name: "another admin", scopes: ["ADMIN"] } }, bearer(adminOnly));
    expect(own.data?.createApiKey.__typename).toBe("CreateApiKeyPayload");
  });

  test("cannot create or revoke keys in another tenant's workspace", async ({ gateway, db, tenants: { acme, globex } }) => {
    const globexWorkspace = (await gateway.graphql(Keys, {}, bearer(globex.keys.admin))).data!.workspace!;
    const create = await gateway.graphql(
      CreateKey,
      { input: { name: "intruder", scopes: ["ADMIN"], workspaceId: globexWorkspace.id } },
      bearer(acme.keys.admin),
    );
    expect(create.data?.createApiKey).toEqual({ __typename: "NotFoundError", entity: "Workspace" });
    const revoke = await gateway.graphql(RevokeKey, { id: globexWorkspace.apiKeys![0]!.id }, bearer(acme.keys.admin));
    expect(revoke.data?.revokeApiKey).toEqual({ __typename: "NotFoundError", entity: "ApiKey" });
    expect(await db.prisma.apiKey.count({ where: { revokedAt: { not: null } } })).toBe(0);
  });

  test("revokes a key, after which it gets 401", async ({ gateway, tenants: { acme } }) => {
    const created = (await gateway.graphql(CreateKey, { input: { name: "temp", scopes: ["READ_BILLING"] } }, bearer(acme.keys.admin))).data!.createApiKey;
    if (created.__typename !== "CreateApiKeyPayload") throw new Error("not created");
    const revoked = await gateway.graphql(RevokeKey, { id: created.apiKey.id }, bearer(acme.keys.admin));
    expect(revoked.data?.revokeApiKey).toMatchObject({ __typename: "RevokeApiKeyPayload", apiKey: { status: "REVOKED" } });
    expect((await gateway.graphql(Keys, {}, bearer(created.secret))).status).toBe(401);
  });
});
