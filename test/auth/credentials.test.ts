// Keys and sessions as clients send them: every bad credential is a 401 with a challenge that
// does not tell whether the key exists; a missing scope is a 403; another tenant's objects are
// "not found". Expiry follows the gateway's clock, which the tests move.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect } from "vitest";
import { signSessionToken } from "../../src/auth/session-token.js";
import { createApiKey, revokeApiKey } from "../../src/domain/api-keys.js";
import { graphql } from "../gql/index.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, operatorAt, startGateway, TEST_JWT_SECRET, type TestGateway } from "../helpers/gateway.js";

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

const test = gatewayTest();

async function expect401(gateway: TestGateway, headers: Record<string, string>, challenge: RegExp) {
  const response = await gateway.graphql(ViewerQuery, {}, headers);
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toMatch(challenge);
  expect(response.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  expect(response.data).toBeNull();
  return response;
}

describe("credentials", () => {
  test("accepts a valid key and reports its scopes and workspace", async ({ gateway, tenants: { acme } }) => {
    const response = await gateway.graphql(ViewerQuery, {}, bearer(acme.keys.read));
    expect(response.status).toBe(200);
    expect(response.data?.viewer).toEqual({ kind: "API_KEY", scopes: ["READ_BILLING"], workspaces: [{ slug: "acme-main" }] });
  });

  test("answers 401 with a bare challenge when no credentials are sent", async ({ gateway }) => {
    await expect401(gateway, {}, /^Bearer realm="billing-gateway"$/);
  });

  test("answers 401 invalid_request for malformed headers and keys", async ({ gateway, tenants: { acme } }) => {
    for (const authorization of ["Basic abc", "Bearer", "Bearer bgk_short", "Bearer not-a-jwt", `Token ${acme.keys.read}`]) {
      await expect401(gateway, { authorization }, /error="invalid_request"/);
    }
  });

  test("answers unknown, expired and revoked keys with the same 401, revealing nothing", async ({ gateway, db, clock, tenants: { acme } }) => {
    const operator = await operatorAt(db, clock);
    const unknown = `bgk_${"A".repeat(43)}`;
    const expired = await createApiKey(operator, { name: "short-lived", scopes: ["read:billing"], workspaceId: acme.workspaceId, expiresAt: new Date(clock.now().getTime() + 60_000) });
    const revoked = await createApiKey(operator, { name: "revoked", scopes: ["read:billing"], workspaceId: acme.workspaceId });
    expect((await gateway.graphql(ViewerQuery, {}, bearer(expired.secret))).status).toBe(200);
    expect((await gateway.graphql(ViewerQuery, {}, bearer(revoked.secret))).status).toBe(200);
    await revokeApiKey(operator, revoked.apiKey.id);
    clock.advance(60_000); // the expiry is now, and "now" counts as expired
    const bodies = [];
    for (const key of [unknown, expired.secret, revoked.secret]) {
      const response = await expect401(gateway, bearer(key), /error="invalid_token"/);
      bodies.push({ challenge: response.headers.get("www-authenticate"), errors: response.errors });
    }
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  test("answers FORBIDDEN when the key lacks the scope a field needs", async ({ gateway, tenants: { acme } }) => {
    const response = await gateway.graphql(BalanceQuery, {}, bearer(acme.keys.write));
    // The field is null with the error and its workspace stays; data is present, so 200 (GraphQL over HTTP).
    expect([response.status, response.data]).toEqual([200, { workspace: { slug: "acme-main", creditBalance: null } }]);
    expect(response.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const allowed = await gateway.graphql(BalanceQuery, {}, bearer(acme.keys.read));
    expect(allowed.status).toBe(200);
    expect(allowed.data?.workspace?.creditBalance?.credits).toBe("1000");
  });

  test("records last use at the gateway's clock, at most once per interval", async ({ gateway, db, clock, tenants: { acme } }) => {
    const created = await createApiKey(await operatorAt(db, clock), { name: "touch", scopes: ["read:billing"], workspaceId: acme.workspaceId });
    const lastUsed = async () => (await db.prisma.apiKey.findUnique({ where: { id: created.apiKey.id } }))?.lastUsedAt;
    await gateway.graphql(ViewerQuery, {}, bearer(created.secret));
    await expect.poll(lastUsed).toEqual(clock.now());
    const first = clock.now();
    clock.advance(30_000);
    await gateway.graphql(ViewerQuery, {}, bearer(created.secret));
    clock.advance(31_000);
    await gateway.graphql(ViewerQuery, {}, bearer(created.secret));
    await expect.poll(lastUsed).toEqual(clock.now());
    expect(clock.now().getTime() - first.getTime()).toBe(61_000); // the use at +30 s was not written
  });

  describe("dashboard sessions", () => {
    const session = (userId: string, clock: { now(): Date }, secret = TEST_JWT_SECRET) => signSessionToken(secret, userId, clock.now());

    test("resolve the user's memberships and the workspace the session names", async ({ gateway, clock, tenants: { acme } }) => {
      const token = await session(acme.userId, clock);
      const response = await gateway.graphql(BalanceQuery, {}, { ...bearer(token), "x-workspace-id": acme.workspaceId });
      expect(response.status).toBe(200);
      expect(response.data?.workspace).toEqual({ slug: "acme-main", creditBalance: { credits: "1000" } });
      const viewer = await gateway.graphql(ViewerQuery, {}, bearer(token));
      expect(viewer.data?.viewer.kind).toBe("USER");
      expect(viewer.data?.viewer.workspaces.map((w) => w.slug)).toEqual(["acme-main", "acme-other"]);
    });

    test("that name no workspace get null for the workspace, not an error", async ({ gateway, clock, tenants: { acme } }) => {
      const response = await gateway.graphql(graphql(`query SessionNoWorkspace { workspace { slug organization { slug } } viewer { defaultWorkspace { slug organization { slug } } user { email } apiKey { name workspace { slug } } } }`), {}, bearer(await session(acme.userId, clock)));
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual({ workspace: null, viewer: { defaultWorkspace: null, user: { email: "owner@acme.test" }, apiKey: null } });
    });

    test("cannot name another tenant's workspace", async ({ gateway, clock, tenants: { acme, globex } }) => {
      const response = await gateway.graphql(BalanceQuery, {}, { ...bearer(await session(acme.userId, clock)), "x-workspace-id": globex.workspaceId });
      expect(response.status).toBe(200);
      expect(response.data?.workspace).toBeNull();
    });

    test("reject tokens with a wrong signature, past expiry or an unknown user with the same 401", async ({ gateway, clock, tenants: { acme } }) => {
      const nowS = Math.floor(clock.now().getTime() / 1000);
      const wrongKey = await session(acme.userId, clock, "another-secret-that-is-also-32-characters");
      const expired = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(acme.userId)
        .setIssuedAt(nowS - 7200).setExpirationTime(nowS - 3600).sign(new TextEncoder().encode(TEST_JWT_SECRET));
      const unknownUser = await session("00000000-0000-4000-8000-000000000000", clock);
      const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(`{"sub":"${acme.userId}"}`).toString("base64url")}.`;
      for (const token of [wrongKey, expired, unknownUser, none]) await expect401(gateway, bearer(token), /error="invalid_token"/);
    });

    test("expire at the gateway's clock", async ({ gateway, clock, tenants: { acme } }) => {
      const token = await signSessionToken(TEST_JWT_SECRET, acme.userId, clock.now(), { ttlSeconds: 60 });
      expect((await gateway.graphql(ViewerQuery, {}, bearer(token))).status).toBe(200);
      clock.advance(61_000);
      await expect401(gateway, bearer(token), /error="invalid_token"/);
    });

    test("can be verified against an identity provider's JWKS", async ({ db, clock, tenants: { acme } }) => {
      const { publicKey, privateKey } = await generateKeyPair("RS256");
      const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" }] };
      const idp = http.createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwks)));
      await new Promise<void>((resolve) => idp.listen(0, "127.0.0.1", resolve));
      const jwksUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/.well-known/jwks.json`;
      const sso = await startGateway(db, { clock, env: { JWT_SECRET: "", JWT_JWKS_URL: jwksUrl, JWT_ISSUER: "https://idp.test" } });
      const nowS = Math.floor(clock.now().getTime() / 1000);
      const sign = (issuer: string) =>
        new SignJWT({}).setProtectedHeader({ alg: "RS256", kid: "k1" }).setSubject(acme.userId).setIssuer(issuer).setExpirationTime(nowS + 300).sign(privateKey);
      try {
        const ok = await sso.graphql(ViewerQuery, {}, bearer(await sign("https://idp.test")));
        expect(ok.data?.viewer.kind).toBe("USER");
        expect((await sso.graphql(ViewerQuery, {}, bearer(await sign("https://evil.test")))).status).toBe(401);
        expect((await sso.graphql(ViewerQuery, {}, bearer(await session(acme.userId, clock)))).status).toBe(401);
      } finally {
        await sso.close();
        idp.close();
      }
    });

    test("are refused when no session secret is configured", async ({ db, clock, tenants: { acme } }) => {
      const noSessions = await startGateway(db, { clock, env: { JWT_SECRET: "" } });
      try {
        const response = await noSessions.graphql(ViewerQuery, {}, bearer(await session(acme.userId, clock)));
        expect(response.status).toBe(401);
      } finally {
        await noSessions.close();
      }
    });

    test("give a viewer-role member read access but no admin fields", async ({ gateway, clock, tenants: { acme } }) => {
      const headers = { ...bearer(await session(acme.userId, clock)), "x-workspace-id": acme.otherWorkspaceId };
      expect((await gateway.graphql(BalanceQuery, {}, headers)).status).toBe(200);
      const keys = await gateway.graphql(graphql(`query ViewerRoleKeys { workspace { name apiKeys { name } } }`), {}, headers);
      expect([keys.status, keys.errors?.[0]?.extensions?.code, keys.data?.workspace?.apiKeys]).toEqual([200, "FORBIDDEN", null]);
      expect(keys.data?.workspace?.name).toBeTruthy();
    });
  });
});
