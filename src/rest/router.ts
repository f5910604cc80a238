// Dispatches REST requests: matches the path, authenticates into the one request context, parses
// the query with the route's zod schema, runs the handler, and answers every error as JSON with a
// stable code and the status its source document uses.
import type http from "node:http";
import type { z } from "zod";
import { errorText, requestLogger, type Logger } from "../config/logger.js";
import type { RequestContext } from "../domain/context.js";
import { asUnavailable } from "../db/faults.js";
import { DomainError, RateLimitedError, UnavailableError, ValidationError, type IssueCode } from "../domain/errors.js";
import { rateLimitHeaders } from "../http/rate-limit.js";
import { cutAnswer } from "../http/server.js";
import { AuthError, type RequestFacts } from "../http/request-context.js";
import { jsonBytes } from "./json.js";
import { RestError, type Route } from "./route.js";

export function sendRestJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const payload = jsonBytes(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": payload.length, ...headers });
  res.end(payload);
}

/** Whether `path` fits the pattern, whose segments like `:spaceId` take any value (a last `:rest*`, one or more). */
function fitsPattern(pattern: string, path: string): boolean {
  const want = pattern.split("/");
  const got = path.split("/");
  const rest = want.at(-1)!.endsWith("*");
  if (rest ? got.length < want.length : want.length !== got.length) return false;
  return want.every((part, i) => part.startsWith(":") || part === got[i]);
}

/** The path parameters of a path that fits the pattern, decoded (a `:rest*` as its segments joined with "/"). */
function pathParams(pattern: string, path: string): Record<string, string> {
  const got = path.split("/");
  const params: Record<string, string> = {};
  const want = pattern.split("/");
  want.forEach((part, i) => {
    if (!part.startsWith(":")) return;
    const name = part.slice(1).replace(/\*$/, "");
    const segments = part.endsWith("*") ? got.slice(i) : [got[i]!];
    try {
      params[name] = segments.map((segment) => decodeURIComponent(segment)).join("/");
    } catch {
      throw new RestError(400, "INVALID_PARAMETER", `${name} is not valid percent-encoding`, name);
    }
  });
  return params;
}

/** Parses parameters with a zod schema: each given once, none unknown; the first problem names its parameter. */
function parseParams<S extends z.ZodObject>(schema: S, values: URLSearchParams | Record<string, string>): z.output<S> {
  const entries = values instanceof URLSearchParams ? [...values] : Object.entries(values);
  const given: Record<string, string> = Object.create(null);
  for (const [name, value] of entries) {
    if (!Object.hasOwn(schema.shape, name)) throw new RestError(400, "INVALID_PARAMETER", `${name.slice(0, 50)} is not a parameter of this route`, name.slice(0, 50));
    if (Object.hasOwn(given, name)) throw new RestError(400, "INVALID_PARAMETER", `${name} is given more than once`, name);
    given[name] = value;
  }
  const parsed = schema.safeParse(given);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = String(issue.path[0] ?? "");
  const code: IssueCode = given[param] === undefined ? "MISSING_PARAMETER" : "INVALID_PARAMETER";
  throw new ValidationError([{ path: [param], message: issue.message, code }]);
}

type RestFacts = Omit<RequestFacts, "authorization" | "workspaceId" | "onRateLimit">;

export function createRestHandler(deps: { routes: Route[]; logger: Logger; contextFor: (facts: RequestFacts) => Promise<RequestContext> }) {
  /** Handles the request if a route has its path; returns false otherwise. */
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, facts: RestFacts): Promise<boolean> => {
    let ctx: RequestContext | null = null;
    try {
      const onPath = deps.routes.filter((route) => fitsPattern(route.path, url.pathname));
      if (onPath.length === 0) return false;
      const route = onPath.find((r) => r.method === req.method);
      if (!route) {
        const allow = onPath.map((r) => r.method).join(", ");
        throw new RestError(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${url.pathname}; use ${allow}`, undefined, { Allow: allow });
      }
      ctx = await deps.contextFor({
        ...facts,
        anonymous: route.scope === null,
        authorization: req.headers.authorization,
        workspaceId: url.searchParams.get("workspaceId"),
        onRateLimit: (state) => res.setHeaders(new Map(Object.entries(rateLimitHeaders(state)))),
      });
      const query = parseParams(route.query, url.searchParams);
      await route.handle({ ctx, query, params: route.params ? parseParams(route.params, pathParams(route.path, url.pathname)) : {}, req, res });
    } catch (error) {
      const logger = ctx?.logger ?? requestLogger(deps.logger, facts.requestId);
      if (res.headersSent) {
        logger.error({ err: errorText(error) }, "REST stream failed after headers were sent");
        cutAnswer(res);
      } else {
        if (req.readable) req.resume(); // an unread body must not keep the answer from the client
        sendError(res, error, logger, facts.requestId);
      }
    }
    return true;
  };
  /** The pattern of the route that has this path (metrics label requests by it), or null. */
  const routeOf = (path: string): string | null => deps.routes.find((route) => fitsPattern(route.path, path))?.path ?? null;
  return Object.assign(handle, { routeOf });
}

function sendError(res: http.ServerResponse, error: unknown, logger: Logger, requestId: string): void {
  const send = (status: number, code: string, message: string, param?: string, headers: http.OutgoingHttpHeaders = {}) =>
    sendRestJson(res, status, { error: { code, message, ...(param ? { param } : {}) } }, headers);
  if (error instanceof RestError) return send(error.status, error.code, error.message, error.param, error.headers);
  if (error instanceof AuthError) return send(401, "UNAUTHENTICATED", error.message, undefined, { "WWW-Authenticate": error.challenge });
  if (error instanceof ValidationError) {
    const issue = error.issues[0];
    return send(400, issue?.code ?? "INVALID_PARAMETER", error.message, error.param);
  }
  const unavailable = asUnavailable(error);
  if (unavailable && !(error instanceof UnavailableError)) logger.warn({ code: unavailable.code, err: (error as Error).message }, "database fault answered 503");
  if (error instanceof RateLimitedError || unavailable) {
    const refusal = unavailable ?? (error as RateLimitedError);
    return send(refusal.status, refusal.code, refusal.message, undefined, { "Retry-After": String(refusal.retryAfterSeconds) });
  }
  if (error instanceof DomainError) return send(error.status, error.code, error.message);
  logger.error({ err: errorText(error) }, "unexpected REST error");
  sendRestJson(res, 500, { error: { code: "INTERNAL_SERVER_ERROR", message: `Unexpected error; quote request id ${requestId}`, requestId } });
}
