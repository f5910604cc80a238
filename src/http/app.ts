// The gateway as one app: the same factory serves `billing-gateway serve` and the tests. It wires
// authentication, the settings every request shares, GraphQL and the REST routes, and answers
// every error a client can cause as JSON with a stable code.
import crypto from "node:crypto";
import type http from "node:http";
import { createAuthenticator } from "../auth/authenticate.js";
import type { Config } from "../config/config.js";
import type { Logger } from "../config/logger.js";
import type { Database } from "../db/client.js";
import { pendingMigrations } from "../db/migrate.js";
import { systemClock, type Clock } from "../domain/clock.js";
import type { RateLimiter } from "../domain/context.js";
import { createGraphQLServer } from "../graphql/yoga.js";
import { startCreditExpiryJob, type ExpiryJob } from "../jobs/credit-expiry.js";
import { OPENAPI_DOCUMENT } from "../rest/openapi.js";
import { createRestHandler } from "../rest/router.js";
import { REST_ROUTES } from "../rest/routes.js";
import { createGraphQLRoute } from "./graphql-route.js";
import { createSettings } from "./settings.js";
import { buildRequestContext, type RequestFacts } from "./request-context.js";
import { createHttpServer, listen, sendJson } from "./server.js";

export interface AppOptions {
  db: Database;
  config: Config;
  logger: Logger;
  /** Where every "now" comes from; tests set it. */
  clock?: Clock;
  /** The FOCUS budget; by default from the configuration (memory, or Redis when REDIS_URL is set). */
  rateLimiter?: RateLimiter;
  /** Pre-filled in GraphiQL's header editor (the embedded demo's key); never on PostgreSQL. */
  graphiqlApiKey?: string | null;
}

export interface App {
  handle: http.RequestListener;
  /** Starts an HTTP server; resolves with the port it listens on. */
  listen(port: number, host: string): Promise<number>;
  /** The credit-expiry job of this process (every CREDIT_EXPIRY_INTERVAL_S). */
  creditExpiry: ExpiryJob;
  /** Stops the server (in-flight requests first, then open connections after `graceMs`), the job and the app's clients. */
  close(graceMs?: number): Promise<void>;
}

export async function createApp(options: AppOptions): Promise<App> {
  const { db, config, logger } = options;
  const clock = options.clock ?? systemClock;
  const authenticate = createAuthenticator(db, config, logger);
  const settings = await createSettings(db, config, options.rateLimiter);
  const contextFor = (facts: RequestFacts) => buildRequestContext({ db, settings, authenticate, logger }, facts);
  const graphql = createGraphQLRoute(createGraphQLServer({ logger, contextFor, graphiqlApiKey: options.graphiqlApiKey ?? null }));
  const rest = createRestHandler({ routes: REST_ROUTES, logger, contextFor });
  const creditExpiry = startCreditExpiryJob({ db, settings, clock, logger, intervalMs: config.CREDIT_EXPIRY_INTERVAL_S * 1000 });

  const handle: http.RequestListener = (req, res) => {
    const started = process.hrtime.bigint();
    const arrivedAt = clock.now();
    const incoming = req.headers["x-request-id"];
    const requestId = typeof incoming === "string" && /^[\w.-]{1,100}$/.test(incoming) ? incoming : crypto.randomUUID();
    res.setHeader("X-Request-Id", requestId);
    const url = URL.canParse(req.url ?? "/", "http://gateway") ? new URL(req.url ?? "/", "http://gateway") : null;
    const path = url?.pathname ?? "(malformed)";
    res.on("finish", () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info({ requestId, method: req.method, path, status: res.statusCode, durationMs }, "request");
    });

    const route = async () => {
      if (!url) return sendJson(res, 400, { error: { code: "BAD_REQUEST", message: "The request target is not a valid path" } });
      if (path === "/graphql") return graphql(req, res, url, { requestId, arrivedAt });
      const service = SERVICE_ROUTES[path];
      if (service) {
        if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: `${req.method} is not allowed on ${path}` } }, { Allow: "GET, HEAD" });
        return sendJson(res, ...(await service(db)));
      }
      if (await rest(req, res, url, { requestId, arrivedAt })) return;
      return sendJson(res, 404, { error: { code: "NOT_FOUND", message: `No route for ${req.method} ${path}` } });
    };
    route().catch((error: Error) => {
      logger.error({ requestId, err: error.stack }, "unhandled request error");
      if (!res.headersSent) sendJson(res, 500, { error: { code: "INTERNAL_SERVER_ERROR", message: `Unexpected error; quote request id ${requestId}`, requestId } });
      else res.destroy();
    });
  };

  let server: http.Server | null = null;
  return {
    handle,
    creditExpiry,
    async listen(port, host) {
      server = createHttpServer(handle);
      return listen(server, port, host);
    },
    async close(graceMs = 0) {
      if (server) {
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server!.closeAllConnections(), graceMs);
        await closed;
        clearTimeout(timer);
      }
      await creditExpiry.stop();
      await authenticate.settle();
      if (!options.rateLimiter) await settings.focusRateLimiter.close();
    },
  };
}

/** Probes and the API description, outside authentication. */
const SERVICE_ROUTES: Record<string, (db: Database) => Promise<[number, unknown]>> = {
  "/health": async () => [200, { status: "ok" }],
  "/ready": readiness,
  "/openapi.json": async () => [200, OPENAPI_DOCUMENT],
};

async function readiness(db: Database): Promise<[number, unknown]> {
  try {
    const pending = await pendingMigrations(db);
    if (pending.length > 0) return [503, { status: "migrating", pendingMigrations: pending }];
    return [200, { status: "ready", database: db.kind }];
  } catch {
    return [503, { status: "unavailable", reason: "database unreachable or not migrated" }];
  }
}
