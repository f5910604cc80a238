// What the benchmarks share: the bench database on the local PostgreSQL with a bulk workspace
// (seeded once, then reused), process memory and CPU from /proc, downloads, and number formats.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import pg from "pg";
import { operatorContext } from "../src/cli/operator.js";
import { loadConfig } from "../src/config/config.js";
import { openPostgres, type Database } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { createApiKey } from "../src/domain/api-keys.js";
import type { Scope } from "../src/domain/access.js";
import { seedBulk } from "../src/seed/bulk.js";
import { nodeCommandSettings, npmStartCommand, startServer, type RunningServer } from "../test/helpers/cli.js";

export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/billing_bench";

async function ensureDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^\w+$/.test(name)) throw new Error(`unusable database name ${name}`);
  const admin = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: "/postgres" }).toString() });
  await admin.connect();
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
}

export interface BenchWorkspace {
  id: string;
  usageRecords: number;
  /** The first and last usage record's instants (the last plus 1 ms). */
  from: number;
  to: number;
}

/** The bench database, migrated, with a bulk workspace of exactly `rows` usage records (seeded if none). */
export async function openBenchWorkspace(rows: number): Promise<{ db: Database; workspace: BenchWorkspace }> {
  await ensureDatabase(BENCH_DATABASE_URL);
  const db = await openPostgres(BENCH_DATABASE_URL, { DB_POOL_SIZE: 4, DB_CONNECTION_TIMEOUT_MS: 10_000, DB_IDLE_TIMEOUT_MS: 10_000, DB_STATEMENT_TIMEOUT_MS: 600_000 });
  await migrate(db);
  const find = () =>
    db.prisma.$queryRaw<{ id: string; n: bigint; first: Date; last: Date }[]>`
      SELECT w.id, COUNT(*) AS n, MIN(u."occurredAt") AS first, MAX(u."occurredAt") AS last
      FROM "Workspace" w JOIN "Organization" o ON o.id = w."organizationId" JOIN "UsageRecord" u ON u."workspaceId" = w.id
      WHERE o.slug = 'bulk' AND w.slug NOT LIKE 'bench-ingest-%' GROUP BY w.id HAVING COUNT(*) = ${rows} LIMIT 1`;
  let [found] = await find();
  if (!found) {
    console.log(`Seeding ${rows.toLocaleString("en")} usage records (once; later runs reuse them)…`);
    await seedBulk(db, { workspaces: 1, days: 365, events: rows, now: new Date() }, (line) => console.log(`  ${line}`));
    // What autovacuum would have done by the time a dashboard reads a year of data (this machine's
    // PostgreSQL runs without it): visibility maps for index-only scans; statistics follow.
    await db.withSession((session) => session.exec(`VACUUM "UsageRecord", "CreditTransaction", "CreditAllocation", "CreditLot", "UsageDailyRollup", "UsageDailyTotal", "UsageDailyByDimension", "UsageMonthlyTotal", "UsageMonthlyByDimension", "UsageHourlyTotal", "UsageHourlyByDimension"`));
    [found] = await find();
  }
  await dropIngestWorkspaces(db);
  // Fresh statistics for both sides, as autovacuum would keep them (ingestion runs add rows).
  await db.withSession((session) => session.exec(`ANALYZE "UsageRecord", "CreditTransaction", "CreditAllocation", "CreditLot", "UsageDailyRollup", "UsageDailyTotal", "UsageDailyByDimension", "UsageMonthlyTotal", "UsageMonthlyByDimension", "UsageHourlyTotal", "UsageHourlyByDimension", "Execution", "ExecutionDailyRollup"`));
  return { db, workspace: { id: found!.id, usageRecords: Number(found!.n), from: found!.first.getTime(), to: found!.last.getTime() + 1 } };
}

/**
 * Deletes the workspaces of ingestion runs (an interrupted run leaves its own). Their ledger rows
 * are newer than the seeded workspace's: left in place, each run would slow PostGraphile's ledger
 * page (ordered by the primary key, it walks other tenants' newer rows) and flatter the ratio.
 */
export async function dropIngestWorkspaces(db: Database): Promise<void> {
  await db.withSession(async (session) => {
    await session.query(`DELETE FROM "Workspace" WHERE slug LIKE 'bench-ingest-%'`);
    await session.exec(`VACUUM "UsageRecord", "CreditTransaction", "CreditAllocation", "CreditLot", "UsageDailyRollup", "UsageDailyTotal", "UsageDailyByDimension", "UsageMonthlyTotal", "UsageMonthlyByDimension", "UsageHourlyTotal", "UsageHourlyByDimension"`);
  });
}

/** How many rows the workspace's FOCUS export of [from, to) has: its usage records and its other ledger rows. */
export async function focusRowCount(db: Database, workspace: BenchWorkspace): Promise<number> {
  const ledgerRows = await db.prisma.creditTransaction.count({
    where: { workspaceId: workspace.id, occurredAt: { gte: new Date(workspace.from), lt: new Date(workspace.to) }, NOT: { type: "USAGE", usageRecordId: { not: null } } },
  });
  return workspace.usageRecords + ledgerRows;
}

/** A new API key of the workspace with these scopes. */
export async function benchKey(db: Database, workspaceId: string, scopes: Scope[]): Promise<string> {
  const { secret } = await createApiKey(await operatorContext(db, loadConfig({})), { name: "bench", scopes, workspaceId });
  return secret;
}

/** The Node that runs the gateway: this one, or BENCH_GATEWAY_NODE (another version, to compare them). */
export const GATEWAY_NODE = (() => {
  const path = process.env.BENCH_GATEWAY_NODE || process.execPath;
  const version = spawnSync(path, ["--version"], { encoding: "utf8" }).stdout?.trim();
  if (!version) throw new Error(`BENCH_GATEWAY_NODE: ${path} does not run`);
  return { path, version };
})();

/** The gateway on the bench database, started as `npm start` starts it (its environment and V8 flags), with these settings. */
export function startBenchGateway(env: Record<string, string>): Promise<RunningServer> {
  const start = nodeCommandSettings(npmStartCommand());
  const nodeArgs = [...start.nodeArgs, ...(process.env.BENCH_NODE_ARGS?.split(" ") ?? [])];
  return startServer({ ...start.env, DATABASE_URL: BENCH_DATABASE_URL, LOG_LEVEL: "warn", ...env }, 120_000, nodeArgs, GATEWAY_NODE.path);
}

/** Resident memory of a process in MB: now (VmRSS) or the peak since it started (VmHWM). */
export function memoryMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) / 1024;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time (user + system) of one process so far, in ms. */
export function cpuMs(pid: number, { endedChildren = false } = {}): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const own = Number(fields[11]) + Number(fields[12]);
  return (endedChildren ? own + Number(fields[13]) + Number(fields[14]) : own) * TICK_MS;
}

/**
 * CPU time of every PostgreSQL server process so far, in ms: live backends and workers, and those
 * that ended (counted in the postmaster's children's time), so that a backend closing during a run
 * does not take its CPU out of the sum.
 */
export function postgresCpuMs(): number {
  let total = 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.includes("(postgres)")) total += cpuMs(Number(entry), { endedChildren: true });
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/**
 * Downloads a file with curl (into `saveTo`, or counting its lines with wc), as a FinOps job
 * would fetch it: a client in C, as the export's anchor is (psql). Node's http client, which the
 * bench used before, took about 3 s of CPU per 1,000,000-row CSV on this 2-core machine, where
 * curl and wc take 1.5, and the client shares the cores with the gateway and PostgreSQL.
 * The key goes in curl's config on stdin, not on its command line.
 */
export function download(url: string, key: string, saveTo?: string): Promise<{ lines: number; bytes: number; seconds: number; firstByteMs: number }> {
  const fetchFile = `curl -sS --fail -K - -w '%{stderr}%{size_download} %{time_starttransfer}\\n'`;
  const script = saveTo ? `${fetchFile} -o "$SAVE_TO"` : `set -o pipefail; ${fetchFile} | wc -l`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn("bash", ["-c", script], { env: { ...process.env, SAVE_TO: saveTo ?? "" }, stdio: ["pipe", "pipe", "pipe"] });
    let [stdout, stderr] = ["", ""];
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = (performance.now() - started) / 1000;
      const [bytes, firstByteSeconds] = stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
      if (code !== 0 || !Number.isFinite(bytes)) return reject(new Error(`download of ${url}: curl exited ${code}: ${stderr.trim()}`));
      resolve({ lines: saveTo ? 0 : Number(stdout.trim()), bytes: bytes!, seconds, firstByteMs: firstByteSeconds! * 1000 });
    });
    child.stdin.end(`url = "${url}"\nheader = "authorization: Bearer ${key}"\n`);
  });
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
export const fmt = (n: number, digits = 0) => n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });
