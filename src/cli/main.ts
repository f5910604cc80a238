// The gateway's command line: serve, migrate, seed, keys, token. Operator commands act with
// operator authority (no Actor); anything they print for humans goes to stderr, except a
// command's one result (a key, a token), which is alone on stdout so that scripts can capture it.
import { loadConfig, type Config } from "../config/config.js";
import { StartupError } from "../config/startup-error.js";
import { openDatabase, type Database } from "../db/client.js";
import { migrate } from "../db/migrate.js";
import { DomainError } from "../domain/errors.js";
import { UsageError } from "./args.js";
import { keysCommand } from "./keys.js";
import { seedCommand } from "./seed.js";
import { serveCommand } from "./serve.js";
import { tokenCommand } from "./token.js";

const HELP = `Usage: billing-gateway <command> [options]

Commands:
  serve                         start the HTTP server (migrates, and seeds the embedded demo on first start)
  migrate                       apply pending database migrations
  seed                          load the demo data into an empty database
  seed --workspaces W --days D --events N
                                add W workspaces with N usage records over D days (benchmarks)
  keys create --workspace <slug> --scope <scope>... [--org <slug>] [--expires <ISO date>] [--name <name>]
                                create an API key and print it once (scopes: read:billing, write:usage, admin)
  keys list [--workspace <slug>]
  keys revoke <id>
  token --user <email> [--workspace <slug>]
                                print a dashboard session token (needs JWT_SECRET)
Configuration is read from the environment; see README.md.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    console.error(HELP);
    return command ? 0 : 2;
  }
  try {
    const config = loadConfig();
    switch (command) {
      case "serve":
        return await serveCommand(config);
      case "migrate":
        return await withDatabase(
          config,
          async (db) => {
            const applied = await migrate(db);
            console.error(applied.length ? `Applied: ${applied.join(", ")}` : "The database is up to date.");
            return 0;
          },
          { migrateFirst: false },
        );
      case "seed":
        return await withDatabase(config, (db) => seedCommand(db, rest));
      case "keys":
        return await withDatabase(config, (db) => keysCommand(db, config, rest));
      case "token":
        return await withDatabase(config, (db) => tokenCommand(db, config, rest));
      default:
        throw new UsageError(`Unknown command "${command}". Run "billing-gateway help".`);
    }
  } catch (error) {
    if (error instanceof StartupError || error instanceof UsageError || error instanceof DomainError) {
      console.error(`error: ${error.message}`);
      return error instanceof UsageError ? 2 : 1;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

/** Opens (and by default migrates) the database for one command, and always closes it. */
export async function withDatabase(
  config: Config,
  fn: (db: Database) => Promise<number>,
  { migrateFirst = true } = {},
): Promise<number> {
  const db = await openDatabase(config);
  try {
    if (migrateFirst) await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}
