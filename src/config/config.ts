// Configuration comes only from the environment, is validated once at start, and a bad value stops
// start-up with one line that names the variable.
import { z } from "zod";
import { StartupError } from "./startup-error.js";

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const flag = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

const postgresUrl = z
  .string()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "postgres:" || url.protocol === "postgresql:") && url.hostname !== "";
    } catch {
      return false;
    }
  }, "must be a postgres:// or postgresql:// URL with a host");

const envSchema = z.object({
  PORT: integer(0, 65535).default(4000),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: postgresUrl.optional(),
  DATA_DIR: z.string().min(1).default("./.data"),
  DB_POOL_SIZE: integer(1, 200).default(10),
  DB_CONNECTION_TIMEOUT_MS: integer(100, 600_000).default(5_000),
  DB_IDLE_TIMEOUT_MS: integer(100, 3_600_000).default(30_000),
  DB_STATEMENT_TIMEOUT_MS: integer(100, 3_600_000).default(60_000),
  SEED_DEMO: flag.default(true),
  GRAPHIQL_DEMO_KEY: flag.default(true),
  GRAPHQL_PERSISTED_ONLY: flag.default(false),
  JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  JWT_JWKS_URL: z.url().optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  API_KEY_LAST_USED_INTERVAL_S: integer(1, 86_400).default(60),
  REDIS_URL: z
    .string()
    .refine((v) => /^rediss?:\/\/./.test(v), "must be a redis:// or rediss:// URL")
    .optional(),
  REDIS_KEY_PREFIX: z.string().min(1).max(100).default("billing-gateway"),
  FOCUS_RATE_LIMIT_PER_MINUTE: integer(1, 100_000).default(10),
  // Written into every FOCUS row and the metadata: one printable line.
  FOCUS_PROVIDER_NAME: z.string().trim().min(1).max(200).regex(/^[^\p{Cc}]+$/u, "must not contain control characters").default("Billing Gateway"),
  // How often each process looks for lots past their expiry (at most a minute, the promise an
  // expiration is posted within); 0 turns the job off in this process.
  CREDIT_EXPIRY_INTERVAL_S: integer(0, 60).default(30),
  API_KEY_CACHE_TTL_S: integer(0, 3600).default(60),
  // Export jobs: where their files go (default: <DATA_DIR>/exports), how long they are kept, how
  // long a signed download URL holds (never past the retention), the secret that signs them
  // (default: one the processes share in the database), how often a process looks for queued jobs
  // (0: this process runs none), how long a claim holds without progress, and where a file is cut.
  EXPORT_DIR: z.string().min(1).optional(),
  EXPORT_RETENTION_DAYS: integer(1, 365).default(7),
  EXPORT_URL_TTL_S: integer(60, 365 * 86_400).default(7 * 86_400),
  EXPORT_URL_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  EXPORT_JOB_INTERVAL_MS: integer(0, 3_600_000).default(2_000),
  EXPORT_JOB_LEASE_S: integer(5, 3_600).default(60),
  EXPORT_MAX_FILE_BYTES: integer(10_000, 2_000_000_000).default(1_900_000_000),
  // How long a ledger write may wait for the writes before it to the same workspace (in this
  // process, then for the row lock another process holds) before it is refused with 503 OVERLOADED.
  WRITE_MAX_WAIT_MS: integer(100, 600_000).default(10_000),
  // Writes to one workspace that may wait in this process at once; more are refused at once.
  WRITE_QUEUE_MAX_DEPTH: integer(1, 100_000).default(500),
  // API requests (GraphQL and REST) worked on at once in a process; the others wait their turn,
  // at most REQUEST_QUEUE_MAX_DEPTH of them and for at most REQUEST_MAX_WAIT_MS, else 503
  // OVERLOADED. A request still running after REQUEST_SLOW_MS lets the next one start beside it:
  // a dashboard operation takes about 10 ms under load, and what runs longer is waiting on
  // something other than this process's CPU (src/http/admission.ts).
  REQUESTS_AT_ONCE: integer(1, 10_000).default(4),
  REQUEST_MAX_WAIT_MS: integer(100, 600_000).default(10_000),
  REQUEST_QUEUE_MAX_DEPTH: integer(1, 100_000).default(1_000),
  REQUEST_SLOW_MS: integer(1, 600_000).default(50),
  // When set, /metrics needs Authorization: Bearer <METRICS_TOKEN>.
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(10_000),
});

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends StartupError {}

/** Parses the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as shells and .env files usually intend.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    const shown = ["JWT_SECRET", "DATABASE_URL", "REDIS_URL", "EXPORT_URL_SECRET"].includes(name) ? "" : ` (got "${present[name]}")`;
    throw new ConfigError(`Invalid configuration: ${name} ${issue.message}${shown}`);
  }
  if (parsed.data.JWT_SECRET && parsed.data.JWT_JWKS_URL) {
    throw new ConfigError("Invalid configuration: set JWT_SECRET or JWT_JWKS_URL, not both");
  }
  return parsed.data;
}
