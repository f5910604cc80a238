// REST compatibility routes: each a thin adapter that parses parameters, authenticates, calls one
// domain function and shapes the answer as its source document does.
import type http from "node:http";
import { z } from "zod";
import type { Actor, Scope } from "../auth/actor.js";
import { AuthError, type Authenticate } from "../auth/authenticate.js";
import type { Logger } from "../config/logger.js";
import type { Database } from "../db/client.js";
import { DomainError, ForbiddenError, ValidationError } from "../domain/errors.js";
import { anyScopes } from "../auth/actor.js";
import type { Workspace } from "../db/generated/client.js";
import { assertWorkspaceScope } from "../domain/access.js";
import { requireWorkspace } from "../domain/workspaces.js";
import { RateLimiterUnavailable, type RateLimiter } from "../http/rate-limit.js";
import { toJson } from "./json.js";

export interface RestContext {
  /** The workspace the request is about (the key's, or `workspaceId`), checked for `scope`. */
  workspace(scope: Scope): Promise<Workspace>;
  db: Database;
  actor: Actor;
  query: URLSearchParams;
  params: Record<string, string>;
  req: http.IncomingMessage;
  res: http.ServerResponse;
  logger: Logger;
  focusProviderName: string;
}

export interface Route {
  method: "GET" | "POST";
  path: string;
  scope: Scope;
  /** Counted against the caller's budget of this rate limiter. */
  rateLimited?: boolean;
  handle(ctx: RestContext): Promise<void>;
}

/** A REST error in the gateway's shape: { error: { code, message, param } }. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly headers: http.OutgoingHttpHeaders = {},
  ) {
    super(message);
  }
}

export function sendRestJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const payload = toJson(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** Path parameters when `path` fits the pattern (segments like `:spaceId`), else null. */
function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i]!.startsWith(":")) params[want[i]!.slice(1)] = decodeURIComponent(got[i]!);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}

export function createRestHandler(deps: {
  db: Database;
  authenticate: Authenticate;
  logger: Logger;
  routes: Route[];
  rateLimiter?: RateLimiter;
  focusProviderName: string;
}) {
  /** Handles the request if a route matches its path; returns false otherwise. */
  return async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> => {
    const onPath = deps.routes.filter((route) => matchPath(route.path, url.pathname));
    if (onPath.length === 0) return false;
    const route = onPath.find((r) => r.method === req.method);
    try {
      if (!route) throw new RestError(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${url.pathname}`);
      const actor = await deps.authenticate(req.headers.authorization, url.searchParams.get("workspaceId"));
      if (!anyScopes(actor).includes(route.scope)) throw new ForbiddenError(route.scope);
      if (route.rateLimited && deps.rateLimiter) {
        const retryAfter = await deps.rateLimiter.consume(actor.kind === "apiKey" ? `key:${actor.apiKeyId}` : `user:${actor.userId}`).catch((error) => {
          if (!(error instanceof RateLimiterUnavailable)) throw error;
          deps.logger.error({ err: error.message }, "rate limiter unavailable");
          throw new RestError(503, "RATE_LIMITER_UNAVAILABLE", "The rate limiter is unavailable; try again shortly", undefined, { "Retry-After": "5" });
        });
        if (retryAfter !== null) throw new RestError(429, "RATE_LIMITED", `Too many requests; retry in ${retryAfter} s`, undefined, { "Retry-After": String(retryAfter) });
      }
      const params = matchPath(route.path, url.pathname)!;
      const workspace = async (scope: Scope) => {
        const found = await requireWorkspace(deps.db.prisma, actor, { id: url.searchParams.get("workspaceId") });
        assertWorkspaceScope(actor, found.id, scope);
        return found;
      };
      await route.handle({ workspace, db: deps.db, actor, query: url.searchParams, params, req, res, logger: deps.logger, focusProviderName: deps.focusProviderName });
    } catch (error) {
      if (res.headersSent) {
        deps.logger.error({ err: (error as Error).message }, "REST stream failed after headers were sent");
        res.destroy();
      } else {
        sendError(res, error, deps.logger);
      }
    }
    return true;
  };
}

function sendError(res: http.ServerResponse, error: unknown, logger: Logger): void {
  if (error instanceof RestError) {
    const body = { error: { code: error.code, message: error.message, ...(error.param ? { param: error.param } : {}) } };
    return sendRestJson(res, error.status, body, error.headers);
  }
  if (error instanceof AuthError) {
    return sendRestJson(res, 401, { error: { code: "UNAUTHENTICATED", message: error.message } }, { "WWW-Authenticate": error.challenge });
  }
  if (error instanceof ValidationError) {
    const param = error.issues[0]?.path.join(".");
    return sendRestJson(res, 400, { error: { code: error.code, message: error.message, ...(param ? { param } : {}) } });
  }
  if (error instanceof DomainError) {
    return sendRestJson(res, error.status, { error: { code: error.code, message: error.message } });
  }
  logger.error({ err: (error as Error)?.stack ?? String(error) }, "unexpected REST error");
  sendRestJson(res, 500, { error: { code: "INTERNAL_SERVER_ERROR", message: "Unexpected error" } });
}

/** Parses query parameters with a zod schema; the first problem names its parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, query: URLSearchParams): z.output<S> {
  const parsed = schema.safeParse(Object.fromEntries(query));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = issue.path.join(".");
  throw new RestError(400, "INVALID_PARAMETER", `${param}: ${issue.message}`, param);
}
