// The one request context, built once per request for GraphQL and REST alike: who is asking (from
// the credentials), the request's clock (frozen at its arrival), and a logger carrying its id.
import { AuthError, type Authenticate } from "../auth/authenticate.js";
import { requestLogger, type Logger } from "../config/logger.js";
import type { Database } from "../db/client.js";
import { Access } from "../domain/access.js";
import { frozenClock } from "../domain/clock.js";
import { createRequestContext, type RateLimitState, type RequestContext, type Settings } from "../domain/context.js";

export interface RequestFacts {
  requestId: string;
  arrivedAt: Date;
  authorization: string | undefined;
  /** The workspace a session names: X-Workspace-Id (GraphQL) or the workspaceId parameter (REST). */
  workspaceId: string | null;
  /** Where the surface hears of the caller's budget, for its rate-limit headers. */
  onRateLimit?: (state: RateLimitState) => void;
  /** A route that takes no credentials (a signed URL): the caller is nobody, whatever it sends. */
  anonymous?: boolean;
}

export interface ContextDeps {
  db: Database;
  settings: Settings;
  authenticate: Authenticate;
  logger: Logger;
}

/** Authenticates the request and builds its context; AuthError when the credentials do not hold. */
export async function buildRequestContext(deps: ContextDeps, facts: RequestFacts, { uncached = false } = {}): Promise<RequestContext> {
  const access = facts.anonymous ? Access.nobody() : Access.of(await deps.authenticate({ authorization: facts.authorization, workspaceId: facts.workspaceId, now: facts.arrivedAt, uncached }));
  return createRequestContext({
    db: deps.db,
    access,
    clock: frozenClock(facts.arrivedAt),
    settings: deps.settings,
    logger: requestLogger(deps.logger, facts.requestId),
    requestId: facts.requestId,
    onRateLimit: facts.onRateLimit,
    // A subscription's next event may follow a revocation sooner than the cache hears of it.
    renew: () => buildRequestContext(deps, { ...facts, arrivedAt: deps.settings.clock.now() }, { uncached: true }),
  });
}

export { AuthError };
