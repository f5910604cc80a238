import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { createAuthenticator, type Authenticate } from "../auth/authenticate.js";
import type { Config } from "../config/config.js";
import { createLogger } from "../config/logger.js";
import { openDatabase, type Database } from "../db/client.js";
import { migrate } from "../db/migrate.js";
import { createRateLimiter, type RateLimiter } from "../http/rate-limit.js";
import { createRequestHandler, listen } from "../http/server.js";
import { isDatabaseEmpty, seedDemo } from "../seed/demo.js";

const DEMO_KEY_FILE = "demo-api-key";

export async function serveCommand(config: Config): Promise<number> {
  const logger = createLogger(config.LOG_LEVEL);
  // Listen for signals from the start, so that a stop during start-up is graceful too.
  const stopRequested = untilSignal();
  const db = await openDatabase(config);
  let server: http.Server | undefined;
  let authenticate: Authenticate | undefined;
  let rateLimiter: RateLimiter | undefined;
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, "migrations applied");
    const demoKey = db.kind === "pglite" ? await embeddedDemoKey(db, config, logger) : null;
    authenticate = createAuthenticator(db.prisma, config, logger);
    rateLimiter = createRateLimiter({
      points: config.FOCUS_RATE_LIMIT_PER_MINUTE,
      durationSeconds: 60,
      redisUrl: config.REDIS_URL,
      keyPrefix: `${config.REDIS_KEY_PREFIX}:focus`,
    });
    server = http.createServer(createRequestHandler({
      db, logger, authenticate, rateLimiter, graphiqlApiKey: demoKey, focusProviderName: config.FOCUS_PROVIDER_NAME,
    }));
    const port = await listen(server, config.PORT, config.HOST);
    const base = `http://${config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST}:${port}`;
    logger.info({ port, host: config.HOST, database: db.kind }, "listening");
    console.error(`\n  Billing gateway on ${db.kind === "pglite" ? `embedded database ${path.resolve(config.DATA_DIR)}` : "PostgreSQL"}`);
    console.error(`  GraphiQL:     ${base}/graphql`);
    if (demoKey) console.error(`  Demo API key: ${demoKey}   (workspace acme-prod; read:billing write:usage admin)`);
    console.error("  Stop with Ctrl+C.\n");
  } catch (error) {
    await db.close();
    throw error;
  }
  await stopRequested;
  await shutdown(server!, db, config, logger, authenticate!, rateLimiter!);
  return 0;
}

/**
 * Seeds the demo into an empty embedded database and keeps its key in the data folder (mode 0600),
 * so that every start can show it; the database itself only holds the key's hash.
 */
async function embeddedDemoKey(db: Database, config: Config, logger: ReturnType<typeof createLogger>): Promise<string | null> {
  const file = path.join(path.resolve(config.DATA_DIR), DEMO_KEY_FILE);
  if (config.SEED_DEMO && (await isDatabaseEmpty(db))) {
    const started = Date.now();
    const demo = await seedDemo(db);
    fs.writeFileSync(file, `${demo.demoApiKey}\n`, { mode: 0o600 });
    logger.info({ ms: Date.now() - started }, "demo data loaded");
    console.error(`  Demo data loaded in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  }
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : null;
}

function untilSignal(): Promise<NodeJS.Signals> {
  // `on`, not `once`: a second signal during shutdown must not fall back to Node's default (death).
  return new Promise((resolve) => {
    process.on("SIGTERM", () => resolve("SIGTERM"));
    process.on("SIGINT", () => resolve("SIGINT"));
  });
}

/** Stops accepting, lets in-flight requests finish within SHUTDOWN_TIMEOUT_MS, then closes the database. */
async function shutdown(
  server: http.Server,
  db: Database,
  config: Config,
  logger: ReturnType<typeof createLogger>,
  authenticate: Authenticate,
  rateLimiter: RateLimiter,
): Promise<void> {
  logger.info("shutting down");
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_TIMEOUT_MS);
  await closed;
  clearTimeout(timer);
  await authenticate.settle();
  await rateLimiter.close();
  await db.close();
  logger.info("stopped");
}
