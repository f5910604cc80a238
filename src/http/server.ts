// One Node HTTP server: GraphQL, health probes, and (later) the REST compatibility routes.
import crypto from "node:crypto";
import http from "node:http";
import type { Authenticate } from "../auth/authenticate.js";
import type { Logger } from "../config/logger.js";
import { StartupError } from "../config/startup-error.js";
import type { Database } from "../db/client.js";
import { pendingMigrations } from "../db/migrate.js";
import { createGraphQLServer } from "../graphql/yoga.js";
import type { RateLimiter } from "./rate-limit.js";
import { createRestHandler } from "../rest/router.js";
import { OPENAPI_DOCUMENT } from "../rest/openapi.js";
import { REST_ROUTES } from "../rest/routes.js";

export interface GatewayDeps {
  db: Database;
  /** The FOCUS routes' per-caller budget. */
  rateLimiter?: RateLimiter;
  authenticate: Authenticate;
  logger: Logger;
  /** Provider, publisher and invoice issuer named in FOCUS rows (FOCUS_PROVIDER_NAME). */
  focusProviderName: string;
  graphiqlApiKey?: string | null;
}

export function createRequestHandler(deps: GatewayDeps): http.RequestListener {
  const { db, logger } = deps;
  const yoga = createGraphQLServer(deps);
  const rest = createRestHandler({ ...deps, routes: REST_ROUTES });

  return (req, res) => {
    const started = process.hrtime.bigint();
    const incoming = req.headers["x-request-id"];
    const requestId = typeof incoming === "string" && /^[\w.-]{1,100}$/.test(incoming) ? incoming : crypto.randomUUID();
    res.setHeader("X-Request-Id", requestId);
    // A request line that is not a valid path is answered as an unknown route.
    const url = new URL(URL.canParse(req.url ?? "/", "http://gateway") ? (req.url ?? "/") : "/", "http://gateway");
    const path = url.pathname;
    res.on("finish", () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info({ requestId, method: req.method, path, status: res.statusCode, durationMs }, "request");
    });

    const handle = async () => {
      if (path === "/health") return sendJson(res, 200, { status: "ok" });
      if (path === "/ready") return sendJson(res, ...(await readiness(db)));
      if (path === "/graphql") return yoga(req, res, { requestId });
      if (path === "/openapi.json") return sendJson(res, 200, OPENAPI_DOCUMENT);
      if (await rest(req, res, url)) return;
      return sendJson(res, 404, { error: { code: "NOT_FOUND", message: `No route for ${req.method} ${path}` } });
    };
    handle().catch((error: Error) => {
      logger.error({ requestId, err: error.stack }, "unhandled request error");
      if (!res.headersSent) sendJson(res, 500, { error: { code: "INTERNAL_SERVER_ERROR", message: "Unexpected error" } });
      else res.destroy();
    });
  };
}

async function readiness(db: Database): Promise<[number, unknown]> {
  try {
    const pending = await pendingMigrations(db);
    if (pending.length > 0) return [503, { status: "migrating", pendingMigrations: pending }];
    return [200, { status: "ready", database: db.kind }];
  } catch {
    return [503, { status: "unavailable", reason: "database unreachable or not migrated" }];
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** Listens, or rejects with a one-line reason (port in use, permission). */
export function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === "EADDRINUSE"
          ? `port ${port} on ${host} is already in use (PORT)`
          : error.code === "EACCES"
            ? `no permission to listen on port ${port} (PORT)`
            : `cannot listen on ${host}:${port}: ${error.message}`;
      reject(new StartupError(reason));
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}
