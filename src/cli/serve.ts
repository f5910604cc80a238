import fs from "node:fs";
import path from "node:path";
import type { Config } from "../config/config.js";
import { createLogger, errorText, type Logger } from "../config/logger.js";
import { openDatabase, type Database } from "../db/client.js";
import { migrate } from "../db/migrate.js";
import { systemClock } from "../domain/clock.js";
import { createApp, type App } from "../http/app.js";
import { demoEnd, isDatabaseEmpty, seedDemo } from "../seed/demo.js";

const DEMO_KEY_FILE = "demo-api-key";

export async function serveCommand(config: Config): Promise<number> {
  const logger = createLogger(config.LOG_LEVEL);
  // Node's own warnings go to the log as JSON instead of its plain-text printer.
  process.removeAllListeners("warning");
  process.on("warning", (warning) => logger.warn({ name: warning.name, err: warning.message }, "process warning"));
  // A bug that escaped every handler: one JSON line with its stack, then exit for the supervisor
  // to restart the process (its state may be broken), as Node would have done in plain text.
  const crash = (kind: string) => (error: unknown) => {
    logger.fatal({ err: errorText(error) }, kind);
    process.exit(1);
  };
  process.on("uncaughtException", crash("uncaught exception"));
  process.on("unhandledRejection", crash("unhandled promise rejection"));
  // Listen for signals from the start, so that a stop during start-up is graceful too.
  const stopRequested = untilSignal();
  const db = await openDatabase(config);
  let app: App | null = null;
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, "migrations applied");
    const demoKey = db.kind === "pglite" ? await embeddedDemoKey(db, config, logger) : null;
    // GraphiQL's page carries the demo key only where no other machine can load it.
    const graphiqlApiKey = config.GRAPHIQL_DEMO_KEY && isLoopback(config.HOST) ? demoKey : null;
    app = await createApp({ db, config, logger, graphiqlApiKey });
    const port = await app.listen(config.PORT, config.HOST);
    const base = `http://${config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST}:${port}`;
    logger.info({ port, host: config.HOST, database: db.kind }, "listening");
    console.error(`\n  Billing gateway on ${db.kind === "pglite" ? `embedded database ${path.resolve(config.DATA_DIR)}` : "PostgreSQL"}`);
    console.error(`  GraphiQL:     ${base}/graphql`);
    if (demoKey) console.error(`  Demo API key: ${demoKey}   (workspace acme-prod; read:billing write:usage admin)`);
    console.error("  Stop with Ctrl+C.\n");
  } catch (error) {
    await app?.close(); // its key listener would keep the process alive
    await db.close();
    throw error;
  }
  await stopRequested;
  logger.info("shutting down");
  // Stops accepting, lets in-flight requests finish within SHUTDOWN_TIMEOUT_MS, then closes the database.
  await app!.close(config.SHUTDOWN_TIMEOUT_MS);
  await db.close();
  logger.info("stopped");
  return 0;
}

/**
 * Seeds the demo into an empty embedded database and keeps its key in the data folder (mode 0600),
 * so that every start can show it; the database itself only holds the key's hash.
 */
async function embeddedDemoKey(db: Database, config: Config, logger: Logger): Promise<string | null> {
  const file = path.join(path.resolve(config.DATA_DIR), DEMO_KEY_FILE);
  if (config.SEED_DEMO && (await isDatabaseEmpty(db))) {
    const started = performance.now();
    const demo = await seedDemo(db, { now: demoEnd(systemClock.now()) });
    fs.writeFileSync(file, `${demo.demoApiKey}\n`, { mode: 0o600 });
    const ms = performance.now() - started;
    logger.info({ ms }, "demo data loaded");
    console.error(`  Demo data loaded in ${(ms / 1000).toFixed(1)} s.`);
  }
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : null;
}

/** Whether a listen address is reachable from this machine only. */
function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function untilSignal(): Promise<NodeJS.Signals> {
  // `on`, not `once`: a second signal during shutdown must not fall back to Node's default (death).
  return new Promise((resolve) => {
    process.on("SIGTERM", () => resolve("SIGTERM"));
    process.on("SIGINT", () => resolve("SIGINT"));
  });
}
