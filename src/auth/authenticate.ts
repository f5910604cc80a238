// Resolves one Actor per request from `Authorization: Bearer …`: a gateway API key (bgk_…) or a
// dashboard session JWT. Every failure is the same AuthError kind so that a caller cannot learn
// whether a key, user or workspace exists. The reads behind it are the domain's (credentials.ts).
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { Config } from "../config/config.js";
import type { Logger } from "../config/logger.js";
import type { Database } from "../db/client.js";
import type { Actor } from "../domain/access.js";
import { apiKeyRecord, liveApiKeyActor, recordApiKeyUse, userActor } from "../domain/credentials.js";
import { hashApiKey, looksLikeApiKey } from "./api-key-secret.js";
import { createApiKeyCache } from "./key-cache.js";

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

export interface Credentials {
  authorization: string | undefined;
  /** The workspace a session names (X-Workspace-Id, or a REST route's workspaceId). */
  workspaceId: string | null;
  now: Date;
  /**
   * An API key read from the database, not the cache: the cache hears of a revocation by
   * PostgreSQL's NOTIFY, a moment after it commits, and a subscription's event written just after
   * the revocation could otherwise still be told to the revoked key.
   */
  uncached?: boolean;
}

/** The token of `Authorization: Bearer <token>`: undefined without the header, null when it is malformed. */
export function bearerToken(authorization: string | null | undefined): string | null | undefined {
  if (!authorization) return undefined;
  return /^Bearer ([^\s]+)$/i.exec(authorization.trim())?.[1] ?? null;
}

export type Authenticate = ((credentials: Credentials) => Promise<Actor>) & {
  /** Stops listening for key changes and waits for background writes (last-used times), so that the database can be closed safely. */
  close(): Promise<void>;
};

export async function createAuthenticator(db: Database, config: Config, logger: Logger): Promise<Authenticate> {
  const sessionKey = sessionVerificationKey(config);
  const keys = await createApiKeyCache(db, { maxEntries: 10_000, ttlMs: config.API_KEY_CACHE_TTL_S * 1000 });
  const lastUsedWrites = new Map<string, number>();
  const pendingWrites = new Set<Promise<unknown>>();
  const intervalS = config.API_KEY_LAST_USED_INTERVAL_S;

  /** Records last use at most once per interval per key and process, off the request path. */
  function touchApiKey(id: string, now: Date): void {
    const at = now.getTime();
    if (at - (lastUsedWrites.get(id) ?? -Infinity) < intervalS * 1000) return;
    lastUsedWrites.set(id, at);
    const write = recordApiKeyUse(db, id, now, intervalS)
      .catch((error: Error) => logger.warn({ err: error.message }, "could not record API key use"))
      .finally(() => pendingWrites.delete(write));
    pendingWrites.add(write);
  }

  async function sessionUser(token: string, now: Date): Promise<string> {
    if (!sessionKey) throw new AuthError("invalid");
    try {
      const { payload } = await jwtVerify(token, sessionKey as JWTVerifyGetKey, {
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        algorithms: config.JWT_SECRET ? ["HS256"] : undefined,
        currentDate: now,
      });
      if (payload.sub) return payload.sub;
    } catch {
      // answered below, the same way as every other failure
    }
    throw new AuthError("invalid");
  }

  const authenticate = async ({ authorization, workspaceId, now, uncached }: Credentials): Promise<Actor> => {
    const token = bearerToken(authorization);
    if (token === undefined) throw new AuthError("missing");
    if (token === null) throw new AuthError("malformed");
    if (token.startsWith("bgk_")) {
      if (!looksLikeApiKey(token)) throw new AuthError("malformed");
      const secretHash = hashApiKey(token);
      const load = () => apiKeyRecord(db, secretHash);
      const actor = liveApiKeyActor(await (uncached ? load() : keys.lookup(secretHash, load)), now);
      if (!actor) throw new AuthError("invalid");
      touchApiKey(actor.apiKeyId, now);
      return actor;
    }
    if (token.split(".").length !== 3) throw new AuthError("malformed");
    const actor = await userActor(db, await sessionUser(token, now), workspaceId);
    if (!actor) throw new AuthError("invalid");
    return actor;
  };
  return Object.assign(authenticate, {
    close: async () => {
      await keys.close();
      await Promise.all(pendingWrites);
    },
  });
}

function sessionVerificationKey(config: Config): Uint8Array | JWTVerifyGetKey | null {
  if (config.JWT_SECRET) return new TextEncoder().encode(config.JWT_SECRET);
  if (config.JWT_JWKS_URL) return createRemoteJWKSet(new URL(config.JWT_JWKS_URL));
  return null;
}
