// The gateway as one app: the same factory serves `billing-gateway serve` and the tests. It wires
// authentication, the settings every request shares, GraphQL and the REST routes, and answers
// every error a client can cause as JSON with a stable code.
import crypto from "node:crypto";
import type http from "node:http";
import { createAuthenticator } from "../auth/authenticate.js";
import type { Config } from "../config/config.js";
import type { Logger } from "../config/logger.js";
import type { Database } from "../db/client.js";
import { asUnavailable } from "../db/faults.js";
import { pendingMigrations } from "../db/migrate.js";
import { systemClock, type Clock } from "../domain/clock.js";
import type { RateLimiter, Settings } from "../domain/context.js";
import { createDirectExecution } from "../graphql/direct-execution.js";
import { createGraphQLServer } from "../graphql/yoga.js";
import { startCreditExpiryJob, type ExpiryJob } from "../jobs/credit-expiry.js";
import { startFocusExportJobs, type ExportJobRunner } from "../jobs/focus-exports.js";
import { OPENAPI_DOCUMENT } from "../rest/openapi.js";
import { createRestHandler } from "../rest/router.js";
import { REST_ROUTES } from "../rest/routes.js";
import { AdmissionRefused, RequestAdmission } from "./admission.js";
import { createGraphQLRoute, sendGraphQLError } from "./graphql-route.js";
import { graphiqlAssetRoutes } from "../graphql/graphiql.js";
import { createDashboard } from "./dashboard.js";
import { exposedCollector, startIdleCollection } from "./idle-memory.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { createSettings } from "./settings.js";
import { buildRequestContext, type RequestFacts } from "./request-context.js";
import { createHttpServer, cutAnswer, finalStatus, listen, sendJson } from "./server.js";

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
  /** The export job runner of this process (every EXPORT_JOB_INTERVAL_MS). */
  focusExports: ExportJobRunner;
  /**
   * Stops the server, the jobs and the app's clients: requests under way first, even those whose
   * client has left, then, once `graceMs` has passed, whatever connections and requests remain.
   * Calling it again returns the same stop.
   */
  close(graceMs?: number): Promise<void>;
}

export async function createApp(options: AppOptions): Promise<App> {
  const { db, config, logger } = options;
  const clock = options.clock ?? systemClock;
  const admission = new RequestAdmission({
    atOnce: config.REQUESTS_AT_ONCE,
    maxWaitMs: config.REQUEST_MAX_WAIT_MS,
    maxDepth: config.REQUEST_QUEUE_MAX_DEPTH,
    slowMs: config.REQUEST_SLOW_MS,
  });
  // The metrics read the queues at scrape time; the settings count into the metrics.
  let settings: Settings | null = null;
  const metrics = createMetrics(db, { waitingWrites: () => settings?.ledgerWrites.waiting ?? 0, waitingRequests: () => admission.queued });
  settings = await createSettings(db, config, { meter: metrics.meter, rateLimiter: options.rateLimiter, clock, logger });
  const shared = settings;
  // Last of what can fail: it listens for key changes until closed.
  const authenticate = await createAuthenticator(db, config, logger);
  const contextFor = (facts: RequestFacts) => buildRequestContext({ db, settings: shared, authenticate, logger }, facts);
  const persistedOnly = config.GRAPHQL_PERSISTED_ONLY;
  const yoga = createGraphQLServer({ logger, contextFor, metrics, graphiqlApiKey: options.graphiqlApiKey ?? null, persistedOnly });
  const graphql = createGraphQLRoute(yoga, createDirectExecution(yoga, { contextFor, logger, metrics, persistedOnly }));
  const rest = createRestHandler({ routes: REST_ROUTES, logger, contextFor });
  const serviceRoutes = createServiceRoutes(db, metrics, config.METRICS_TOKEN);
  const dashboard = createDashboard();
  const creditExpiry = startCreditExpiryJob({ db, settings, clock, logger, intervalMs: config.CREDIT_EXPIRY_INTERVAL_S * 1000 });
  const focusExports = startFocusExportJobs({
    db, settings, clock, logger,
    intervalMs: config.EXPORT_JOB_INTERVAL_MS,
    leaseMs: config.EXPORT_JOB_LEASE_S * 1000,
    maxFileBytes: config.EXPORT_MAX_FILE_BYTES,
  });
  settings.exportJobs = focusExports;
  // After start-up and after each burst, a collection once requests have stopped for 5–10 s (idle-memory.ts).
  const idleMemory = startIdleCollection(exposedCollector(), 5_000);

  // Requests being handled, whether or not their client is still connected: close() waits for them.
  const inFlight = new Set<Promise<void>>();

  const handle: http.RequestListener = (req, res) => {
    const started = process.hrtime.bigint();
    idleMemory.requestArrived();
    const arrivedAt = clock.now();
    const incoming = req.headers["x-request-id"];
    const requestId = typeof incoming === "string" && /^[\w.-]{1,100}$/.test(incoming) ? incoming : crypto.randomUUID();
    res.setHeader("X-Request-Id", requestId);
    const url = URL.canParse(req.url ?? "/", "http://gateway") ? new URL(req.url ?? "/", "http://gateway") : null;
    const path = url?.pathname ?? "(malformed)";
    // Metrics name the route's pattern, never the path: label values stay bounded.
    const fixedPath = path === "/graphql" || serviceRoutes[path] !== undefined;
    const restRoute = fixedPath ? null : rest.routeOf(path);
    const route = fixedPath ? path : (restRoute ?? dashboard.routeOf(path) ?? "(unmatched)");
    // "close" comes after "finish", and alone when the connection ended first: count both kinds.
    res.once("close", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = finalStatus(res);
      metrics.observeHttp({ route, method: req.method ?? "", status }, seconds);
      logger.info({ requestId, method: req.method, path, status, durationMs: seconds * 1000 }, "request");
    });

    /** An API request, once its turn comes; a refusal in its route's own error shape, its body left unread. */
    const admitted = (work: (release: () => void) => Promise<unknown>): Promise<void> =>
      admission.run(work).then(() => undefined, (error: unknown) => {
        if (!(error instanceof AdmissionRefused)) throw error;
        req.resume();
        const retryAfter = { "Retry-After": String(error.retryAfterSeconds) };
        if (path === "/graphql") sendGraphQLError(res, 503, error.code, error.message, retryAfter);
        else sendJson(res, 503, { error: { code: error.code, message: error.message } }, retryAfter);
      });
    const serve = async () => {
      if (!url) return sendJson(res, 400, { error: { code: "BAD_REQUEST", message: "The request target is not a valid path" } });
      // A subscription's stream gives its place back as it starts: it may last for hours.
      if (path === "/graphql") return admitted((release) => graphql(req, res, url, { requestId, arrivedAt }, release));
      const service = serviceRoutes[path];
      if (service) {
        if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: `${req.method} is not allowed on ${path}` } }, { Allow: "GET, HEAD" });
        return service(req, res);
      }
      if (restRoute) return admitted(() => rest(req, res, url, { requestId, arrivedAt }));
      if (dashboard.serve(req, res, path)) return;
      return sendJson(res, 404, { error: { code: "NOT_FOUND", message: `No route for ${req.method} ${path}` } });
    };
    const handled = serve().catch((error: Error) => {
      const unavailable = asUnavailable(error);
      if (unavailable) logger.warn({ requestId, code: unavailable.code, err: error.message }, "database fault answered 503");
      else logger.error({ requestId, err: error.stack }, "unhandled request error");
      if (res.headersSent) cutAnswer(res);
      else if (unavailable) sendJson(res, 503, { error: { code: unavailable.code, message: unavailable.message } }, { "Retry-After": String(unavailable.retryAfterSeconds) });
      else sendJson(res, 500, { error: { code: "INTERNAL_SERVER_ERROR", message: `Unexpected error; quote request id ${requestId}`, requestId } });
    });
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  };

  let server: http.Server | null = null;
  let closing: Promise<void> | null = null;
  const stop = async (graceMs: number) => {
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, graceMs)));
    if (server) {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      server.closeIdleConnections();
      void graceOver.then(() => server!.closeAllConnections());
      await closed;
    }
    // A request whose client has left holds no connection, but its work (a write under way) still
    // runs: it ends within the grace, before the caller closes the database under it.
    await Promise.race([Promise.allSettled(inFlight), graceOver]);
    clearTimeout(graceTimer);
    idleMemory.stop();
    await creditExpiry.stop();
    await focusExports.stop();
    await authenticate.close();
    if (!options.rateLimiter) await settings.focusRateLimiter.close();
    await settings.events.close();
  };
  return {
    handle,
    creditExpiry,
    focusExports,
    async listen(port, host) {
      server = createHttpServer(handle);
      return listen(server, port, host);
    },
    close: (graceMs = 0) => (closing ??= stop(graceMs)),
  };
}

type ServiceRoute = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/** Probes, metrics, the API description and GraphiQL's files, outside API-key authentication. */
function createServiceRoutes(db: Database, metrics: Metrics, metricsToken: string | undefined): Record<string, ServiceRoute> {
  const json = (answer: (db: Database) => Promise<[number, unknown]>): ServiceRoute => async (_req, res) => sendJson(res, ...(await answer(db)));
  return {
    "/health": json(async () => [200, { status: "ok" }]),
    "/ready": json(readiness),
    "/openapi.json": json(async () => [200, OPENAPI_DOCUMENT]),
    ...graphiqlAssetRoutes(),
    "/metrics": async (req, res) => {
      if (metricsToken && !bearerMatches(req.headers.authorization, metricsToken)) {
        return sendJson(res, 401, { error: { code: "UNAUTHENTICATED", message: "/metrics needs Authorization: Bearer <METRICS_TOKEN>" } }, { "WWW-Authenticate": 'Bearer realm="metrics"' });
      }
      const body = await metrics.scrape();
      res.writeHead(200, { "Content-Type": metrics.contentType, "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store" });
      res.end(body);
    },
  };
}

/** Compares in constant time, so that the token cannot be guessed byte by byte. */
function bearerMatches(authorization: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (\S+)$/i.exec(authorization ?? "")?.[1] ?? "");
  const expected = Buffer.from(token);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
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
