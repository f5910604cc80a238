// Resolves one Actor per request from `Authorization: Bearer …`: a gateway API key (bgk_…) or a
// dashboard session JWT. Every failure is the same AuthError kind so that a caller cannot learn
// whether a key, user or workspace exists.
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { Config } from "../config/config.js";
import type { Logger } from "../config/logger.js";
import type { PrismaClient } from "../db/client.js";
import { hashApiKey, looksLikeApiKey } from "./api-key-secret.js";
import { isScope, type Actor, type Role } from "./actor.js";

export type AuthFailure = "missing" | "malformed" | "invalid";

export class AuthError extends Error {
  constructor(readonly failure: AuthFailure) {
    super(
      failure === "missing"
        ? "Authentication required: send Authorization: Bearer <API key or session token>"
        : failure === "malformed"
          ? "The Authorization header is malformed: expected 'Bearer bgk_...' or 'Bearer <JWT>'"
          : "The credentials are invalid, expired or revoked",
    );
  }

  /** RFC 6750 challenge for the 401 response. */
  get challenge(): string {
    const realm = 'Bearer realm="billing-gateway"';
    if (this.failure === "missing") return realm;
    const error = this.failure === "malformed" ? "invalid_request" : "invalid_token";
    return `${realm}, error="${error}", error_description="${this.message}"`;
  }
}

export type Authenticate = ((authorization: string | undefined, workspaceId: string | null) => Promise<Actor>) & {
  /** Waits for background writes (last-used times), so that the database can be closed safely. */
  settle(): Promise<void>;
};

export function createAuthenticator(prisma: PrismaClient, config: Config, logger: Logger): Authenticate {
  const sessionKey = sessionVerificationKey(config);
  const lastUsedWrites = new Map<string, number>();
  const pendingWrites = new Set<Promise<unknown>>();
  const lastUsedIntervalMs = config.API_KEY_LAST_USED_INTERVAL_S * 1000;

  /** Records last use at most once per interval per key and process, off the request path. */
  function touchApiKey(id: string): void {
    const now = Date.now();
    if (now - (lastUsedWrites.get(id) ?? 0) < lastUsedIntervalMs) return;
    lastUsedWrites.set(id, now);
    const write = prisma.$executeRaw`UPDATE "ApiKey" SET "lastUsedAt" = now() WHERE id = ${id}::uuid
        AND ("lastUsedAt" IS NULL OR "lastUsedAt" < now() - make_interval(secs => ${lastUsedIntervalMs / 1000}))`
      .catch((error: Error) => logger.warn({ err: error.message }, "could not record API key use"))
      .finally(() => pendingWrites.delete(write));
    pendingWrites.add(write);
  }

  async function apiKeyActor(token: string): Promise<Actor> {
    const key = await prisma.apiKey.findUnique({
      where: { secretHash: hashApiKey(token) },
      include: { organization: { select: { workspaces: { select: { id: true } } } } },
    });
    const now = new Date();
    if (!key || key.revokedAt || (key.expiresAt && key.expiresAt <= now)) throw new AuthError("invalid");
    touchApiKey(key.id);
    const orgWorkspaces = key.organization?.workspaces.map((w) => w.id) ?? [];
    return {
      kind: "apiKey",
      apiKeyId: key.id,
      scopes: (key.scopes ?? []).filter(isScope),
      workspaceIds: [...new Set([...(key.workspaceId ? [key.workspaceId] : []), ...orgWorkspaces])],
      organizationIds: key.organizationId ? [key.organizationId] : [],
      defaultWorkspaceId: key.workspaceId,
    };
  }

  async function userActor(token: string, workspaceId: string | null): Promise<Actor> {
    if (!sessionKey) throw new AuthError("invalid");
    let sub: string | undefined;
    try {
      const { payload } = await jwtVerify(token, sessionKey as JWTVerifyGetKey, {
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        algorithms: config.JWT_SECRET ? ["HS256"] : undefined,
      });
      sub = payload.sub;
    } catch {
      throw new AuthError("invalid");
    }
    if (!sub || !UUID.test(sub)) throw new AuthError("invalid");
    const user = await prisma.user.findUnique({
      where: { id: sub },
      include: { memberships: { select: { workspaceId: true, role: true, workspace: { select: { organizationId: true } } } } },
    });
    if (!user) throw new AuthError("invalid");
    return {
      kind: "user",
      userId: user.id,
      email: user.email,
      roles: new Map(user.memberships.map((m) => [m.workspaceId, m.role as Role])),
      workspaceIds: user.memberships.map((m) => m.workspaceId),
      organizationIds: [...new Set(user.memberships.map((m) => m.workspace.organizationId))],
      defaultWorkspaceId: workspaceId,
    };
  }

  const authenticate = async (authorization: string | undefined, workspaceId: string | null): Promise<Actor> => {
    if (!authorization) throw new AuthError("missing");
    const match = /^Bearer ([^\s]+)$/i.exec(authorization.trim());
    if (!match) throw new AuthError("malformed");
    const token = match[1]!;
    if (token.startsWith("bgk_")) {
      if (!looksLikeApiKey(token)) throw new AuthError("malformed");
      return apiKeyActor(token);
    }
    if (token.split(".").length !== 3) throw new AuthError("malformed");
    return userActor(token, workspaceId);
  };
  return Object.assign(authenticate, { settle: async () => void (await Promise.all(pendingWrites)) });
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function sessionVerificationKey(config: Config): Uint8Array | JWTVerifyGetKey | null {
  if (config.JWT_SECRET) return new TextEncoder().encode(config.JWT_SECRET);
  if (config.JWT_JWKS_URL) return createRemoteJWKSet(new URL(config.JWT_JWKS_URL));
  return null;
}
