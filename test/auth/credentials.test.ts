// Keys and sessions as clients send them: every bad credential is a 401 with a challenge that
// does not tell whether the key exists; a missing scope is a 403; another tenant's objects are
// "not found".
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signSessionToken } from "../../src/auth/session-token.js";
import { createApiKey, revokeApiKey } from "../../src/domain/api-keys.js";
import { graphql } from "../gql/index.js";
import type { TestDatabase } from "../helpers/database.js";
import { bearer, startGateway, TEST_JWT_SECRET, type TestGateway } from "../helpers/gateway.js";
import { startTwoTenants, stopTwoTenants, type Tenant } from "../helpers/tenants.js";

const ViewerQuery = graphql(`
  query CredentialViewer {
    viewer { kind scopes workspaces { slug } }
  }
`);

const BalanceQuery = graphql(`
  query CredentialBalance {
    workspace { slug creditBalance { credits } }
  }
`);

describe("credentials", () => {
  let t: TestDatabase;
  let gateway: TestGateway;
  let acme: Tenant;
  let globex: Tenant;

  beforeAll(async () => {
    ({ t, gateway, acme, globex } = await startTwoTenants());
  });
  afterAll(() => stopTwoTenants(t, gateway));

  const expect401 = async (headers: Record<string, string>, challenge: RegExp) => {
    const response = await gateway.graphql(ViewerQuery, {}, headers);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(challenge);
    expect(response.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(response.data).toBeNull();
    return response;
  };

  it("accepts a valid key and reports its scopes and workspace", async () => {
    const response = await gateway.graphql(ViewerQuery, {}, bearer(acme.keys.read));
    expect(response.status).toBe(200);
    expect(response.data?.viewer).toEqual({ kind: "API_KEY", scopes: ["READ_BILLING"], workspaces: [{ slug: "acme-main" }] });
  });

  it("answers 401 with a bare challenge when no credentials are sent", async () => {
    await expect401({}, /^Bearer realm="billing-gateway"$/);
  });

  it("answers 401 invalid_request for malformed headers and keys", async () => {
    for (const authorization of ["Basic abc", "Bearer", "Bearer bgk_short", "Bearer not-a-jwt", `Token ${acme.keys.read}`]) {
      await expect401({ authorization }, /error="invalid_request"/);
    }
  });

  it("answers unknown, expired and revoked keys with the same 401, revealing nothing", async () => {
    const unknown = `bgk_${"A".repeat(43)}`;
    const expired = await createApiKey(t.db.prisma, "operator", { name: "short-lived", scopes: ["read:billing"], workspaceId: acme.workspaceId, expiresAt: new Date(Date.now() + 1500) });
    const revoked = await createApiKey(t.db.prisma, "operator", { name: "revoked", scopes: ["read:billing"], workspaceId: acme.workspaceId });
    expect((await gateway.graphql(ViewerQuery, {}, bearer(expired.secret))).status).toBe(200);
    expect((await gateway.graphql(ViewerQuery, {}, bearer(revoked.secret))).status).toBe(200);
    await revokeApiKey(t.db.prisma, "operator", revoked.apiKey.id);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const bodies = [];
    for (const key of [unknown, expired.secret, revoked.secret]) {
      const response = await expect401(bearer(key), /error="invalid_token"/);
      bodies.push({ challenge: response.headers.get("www-authenticate"), errors: response.errors });
    }
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  it("answers 403 FORBIDDEN when the key lacks the scope a field needs", async () => {
    const response = await gateway.graphql(BalanceQuery, {}, bearer(acme.keys.write));
    expect(response.status).toBe(403);
    expect(response.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const allowed = await gateway.graphql(BalanceQuery, {}, bearer(acme.keys.read));
    expect(allowed.status).toBe(200);
    expect(allowed.data?.workspace?.creditBalance.credits).toBe("1000");
  });

  it("records last use without writing on every request", async () => {
    const created = await createApiKey(t.db.prisma, "operator", { name: "touch", scopes: ["read:billing"], workspaceId: acme.workspaceId });
    await gateway.graphql(ViewerQuery, {}, bearer(created.secret));
    await expect.poll(async () => (await t.db.prisma.apiKey.findUnique({ where: { id: created.apiKey.id } }))?.lastUsedAt).not.toBeNull();
    const first = (await t.db.prisma.apiKey.findUnique({ where: { id: created.apiKey.id } }))!.lastUsedAt!;
    await new Promise((resolve) => setTimeout(resolve, 20));
    await gateway.graphql(ViewerQuery, {}, bearer(created.secret));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await t.db.prisma.apiKey.findUnique({ where: { id: created.apiKey.id } }))!.lastUsedAt).toEqual(first);
  });

  describe("dashboard sessions", () => {
    it("resolve the user's memberships and the workspace the session names", async () => {
      const token = await signSessionToken(TEST_JWT_SECRET, acme.userId);
      const response = await gateway.graphql(BalanceQuery, {}, { ...bearer(token), "x-workspace-id": acme.workspaceId });
      expect(response.status).toBe(200);
      expect(response.data?.workspace).toEqual({ slug: "acme-main", creditBalance: { credits: "1000" } });
      const viewer = await gateway.graphql(ViewerQuery, {}, bearer(token));
      expect(viewer.data?.viewer.kind).toBe("USER");
      expect(viewer.data?.viewer.workspaces.map((w) => w.slug)).toEqual(["acme-main", "acme-other"]);
    });

    it("cannot name another tenant's workspace", async () => {
      const token = await signSessionToken(TEST_JWT_SECRET, acme.userId);
      const response = await gateway.graphql(BalanceQuery, {}, { ...bearer(token), "x-workspace-id": globex.workspaceId });
      expect(response.status).toBe(200);
      expect(response.data?.workspace).toBeNull();
    });

    it("reject tokens with a wrong signature, past expiry or an unknown user with the same 401", async () => {
      const wrongKey = await signSessionToken("another-secret-that-is-also-32-characters", acme.userId);
      const expired = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(acme.userId)
        .setIssuedAt(Math.floor(Date.now() / 1000) - 7200).setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
        .sign(new TextEncoder().encode(TEST_JWT_SECRET));
      const unknownUser = await signSessionToken(TEST_JWT_SECRET, "00000000-0000-4000-8000-000000000000");
      const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(`{"sub":"${acme.userId}"}`).toString("base64url")}.`;
      for (const token of [wrongKey, expired, unknownUser, none]) await expect401(bearer(token), /error="invalid_token"/);
    });

    it("can be verified against an identity provider's JWKS", async () => {
      const { publicKey, privateKey } = await generateKeyPair("RS256");
      const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" }] };
      const idp = http.createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwks)));
      await new Promise<void>((resolve) => idp.listen(0, "127.0.0.1", resolve));
      const jwksUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/.well-known/jwks.json`;
      const sso = await startGateway(t.db, { JWT_SECRET: "", JWT_JWKS_URL: jwksUrl, JWT_ISSUER: "https://idp.test" });
      const sign = (issuer: string) =>
        new SignJWT({}).setProtectedHeader({ alg: "RS256", kid: "k1" }).setSubject(acme.userId).setIssuer(issuer)
          .setExpirationTime("5m").sign(privateKey);
      try {
        const ok = await sso.graphql(ViewerQuery, {}, bearer(await sign("https://idp.test")));
        expect(ok.data?.viewer.kind).toBe("USER");
        expect((await sso.graphql(ViewerQuery, {}, bearer(await sign("https://evil.test")))).status).toBe(401);
        expect((await sso.graphql(ViewerQuery, {}, bearer(await signSessionToken(TEST_JWT_SECRET, acme.userId)))).status).toBe(401);
      } finally {
        await sso.close();
        idp.close();
      }
    });

    it("are refused when no session secret is configured", async () => {
      const noSessions = await startGateway(t.db, { JWT_SECRET: "" });
      try {
        const token = await signSessionToken(TEST_JWT_SECRET, acme.userId);
        const response = await noSessions.graphql(ViewerQuery, {}, bearer(token));
        expect(response.status).toBe(401);
      } finally {
        await noSessions.close();
      }
    });

    it("give a viewer-role member read access but no admin fields", async () => {
      const token = await signSessionToken(TEST_JWT_SECRET, acme.userId);
      const headers = { ...bearer(token), "x-workspace-id": acme.otherWorkspaceId };
      expect((await gateway.graphql(BalanceQuery, {}, headers)).status).toBe(200);
      const keys = await gateway.graphql(graphql(`query ViewerRoleKeys { workspace { apiKeys { name } } }`), {}, headers);
      expect(keys.status).toBe(403);
    });
  });
});
