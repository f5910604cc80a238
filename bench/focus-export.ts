// Benchmark of the FOCUS export: a workspace with N usage records (default 1,000,000) on the local
// PostgreSQL, a real gateway process, and a client that downloads /api/billing/focus-export over
// HTTP in each format, several times (this machine's speed varies by ±15% from run to run). Prints
// each run, the median rows per second of each format, and the server's peak memory (VmHWM).
//
//   npm run bench:focus -- [--rows 1000000] [--format jsonl|csv|both] [--repeat 3]
//   BENCH_DATABASE_URL=postgres://… (default postgres://postgres@127.0.0.1:5432/billing_bench)
import fs from "node:fs";
import http from "node:http";
import { parseArgs } from "node:util";
import pg from "pg";
import { openPostgres } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { operatorContext } from "../src/cli/operator.js";
import { loadConfig } from "../src/config/config.js";
import { createApiKey } from "../src/domain/api-keys.js";
import { seedBulk } from "../src/seed/bulk.js";
import { startServer } from "../test/helpers/cli.js";

const TARGET_ROWS_PER_SECOND = 100_000;
const TARGET_PEAK_MB = 300;

const { values } = parseArgs({
  options: { rows: { type: "string", default: "1000000" }, format: { type: "string", default: "both" }, repeat: { type: "string", default: "3" } },
});
const rows = Number(values.rows);
const repeat = Number(values.repeat);
const formats = values.format === "both" ? ["jsonl", "csv"] : [values.format!];
if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(repeat) || repeat < 1 || formats.some((f) => f !== "jsonl" && f !== "csv")) {
  console.error("usage: bench/focus-export.ts [--rows N] [--format jsonl|csv|both] [--repeat N]");
  process.exit(2);
}
const databaseUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/billing_bench";

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  if (!/^\w+$/.test(name)) throw new Error(`unusable database name ${name}`);
  const admin = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: "/postgres" }).toString() });
  await admin.connect();
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
}

/** A workspace with at least `rows` usage records (seeded once, then reused), its window and a read key. */
async function prepare(): Promise<{ from: number; to: number; expectedRows: number; key: string }> {
  await ensureDatabase(databaseUrl);
  const db = await openPostgres(databaseUrl, { DB_POOL_SIZE: 4, DB_CONNECTION_TIMEOUT_MS: 10_000, DB_IDLE_TIMEOUT_MS: 10_000, DB_STATEMENT_TIMEOUT_MS: 600_000 });
  try {
    await migrate(db);
    const find = () =>
      db.prisma.$queryRaw<{ id: string; n: bigint; first: Date; last: Date }[]>`
        SELECT w.id, COUNT(*) AS n, MIN(u."occurredAt") AS first, MAX(u."occurredAt") AS last
        FROM "Workspace" w JOIN "Organization" o ON o.id = w."organizationId" JOIN "UsageRecord" u ON u."workspaceId" = w.id
        WHERE o.slug = 'bulk' GROUP BY w.id HAVING COUNT(*) = ${rows} LIMIT 1`;
    let [workspace] = await find();
    if (!workspace) {
      console.log(`Seeding ${rows.toLocaleString("en")} usage records (once; later runs reuse them)…`);
      await seedBulk(db, { workspaces: 1, days: 365, events: rows, now: new Date() }, (line) => console.log(`  ${line}`));
      [workspace] = await find();
    }
    const from = workspace!.first.getTime();
    const to = workspace!.last.getTime() + 1;
    const ledgerRows = await db.prisma.creditTransaction.count({
      where: { workspaceId: workspace!.id, occurredAt: { gte: new Date(from), lt: new Date(to) }, NOT: { type: "USAGE", usageRecordId: { not: null } } },
    });
    const { secret } = await createApiKey(await operatorContext(db, loadConfig({})), { name: "bench", scopes: ["read:billing"], workspaceId: workspace!.id });
    return { from, to, expectedRows: Number(workspace!.n) + ledgerRows, key: secret };
  } finally {
    await db.close();
  }
}

/** Resident memory of a process in MB: now (VmRSS) or the peak since it started (VmHWM). */
function memoryMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) / 1024;
}

/** Downloads one export, counting lines and bytes as they arrive. */
function download(url: string, key: string): Promise<{ lines: number; bytes: number; seconds: number; firstByteMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstByteMs = 0;
    let lines = 0;
    let bytes = 0;
    http.get(url, { headers: { authorization: `Bearer ${key}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
      res.on("data", (chunk: Buffer) => {
        if (bytes === 0) firstByteMs = performance.now() - started;
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
      });
      res.on("end", () => resolve({ lines, bytes, seconds: (performance.now() - started) / 1000, firstByteMs }));
      res.on("error", reject);
    }).on("error", reject);
  });
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });

const { from, to, expectedRows, key } = await prepare();
// Started as `npm start` starts it (the same V8 flag).
const server = await startServer({ DATABASE_URL: databaseUrl, LOG_LEVEL: "warn", FOCUS_RATE_LIMIT_PER_MINUTE: "1000" }, 120_000, ["--max-semi-space-size=32"]);
let failed = false;
try {
  console.log(`FOCUS export of ${fmt(expectedRows)} rows (${fmt(rows)} usage records) from PostgreSQL, ${new Date(from).toISOString()} .. ${new Date(to).toISOString()}`);
  const idleMb = memoryMb(server.pid, "VmRSS");
  console.log(`  server RSS when idle: ${fmt(idleMb)} MB`);
  for (const format of formats) {
    const speeds: number[] = [];
    for (let run = 1; run <= repeat; run++) {
      let peakDuringMb = 0;
      const sampler = setInterval(() => (peakDuringMb = Math.max(peakDuringMb, memoryMb(server.pid, "VmRSS"))), 50);
      const result = await download(`${server.url}/api/billing/focus-export?from=${from}&to=${to}&format=${format}`, key);
      clearInterval(sampler);
      const dataRows = result.lines - (format === "csv" ? 1 : 0);
      speeds.push(dataRows / result.seconds);
      console.log(
        `  ${format.padEnd(5)} run ${run}: ${fmt(dataRows)} rows in ${fmt(result.seconds, 2)} s = ${fmt(speeds.at(-1)!)} rows/s, ` +
          `${fmt(result.bytes / 1e6)} MB (${fmt(result.bytes / 1e6 / result.seconds)} MB/s), first byte after ${fmt(result.firstByteMs)} ms, ` +
          `server RSS at most ${fmt(peakDuringMb)} MB`,
      );
      if (dataRows !== expectedRows) {
        console.log(`  ${format}: expected ${fmt(expectedRows)} rows`);
        failed = true;
      }
    }
    const median = speeds.sort((a, b) => a - b)[Math.floor(speeds.length / 2)]!;
    console.log(`  ${format.padEnd(5)} median: ${fmt(median)} rows/s; target ${fmt(TARGET_ROWS_PER_SECOND)}: ${median >= TARGET_ROWS_PER_SECOND ? "met" : "NOT met"}`);
  }
  const peakMb = memoryMb(server.pid, "VmHWM");
  console.log(`  server peak memory (VmHWM, whole process life): ${fmt(peakMb)} MB; target under ${TARGET_PEAK_MB} MB: ${peakMb < TARGET_PEAK_MB ? "met" : "NOT met"}`);
} finally {
  await server.stop();
}
process.exit(failed ? 1 : 0);
