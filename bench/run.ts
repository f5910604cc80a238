// `npm run bench`: the gateway side by side with its anchors, in one run on this machine.
//
//   npm run bench [-- --quick] [--rows 1000000] [--seconds 20] [--only dashboard,typename,rollups,ingestion,export]
//   BENCH_DATABASE_URL=postgres://… (default postgres://postgres@127.0.0.1:5432/billing_bench)
//   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=…" adds Node flags to the gateway (a CPU profile, say)
//   BENCH_GATEWAY_NODE=/path/to/node runs the gateway on another Node (PostGraphile runs on Node 24)
//
// Seeds (or reuses) a bulk workspace of `--rows` usage records and 1,500 executions on the local
// PostgreSQL, starts the gateway as `npm start` does and PostGraphile v5 over the same tables
// (bench/postgraphile.mjs), and measures, interleaved and as medians of three (each load after a
// 5-second warm-up of each side):
//   - the dashboard operation at 50 connections and at one, against PostGraphile running the same
//     reads (the queries of both sides are printed first);
//   - `{ __typename }` with an API key, against PostGraphile's (unauthenticated) floor;
//   - 365-day rollups by MONTH × each of SKU, model, API key, external user and external project,
//     in the workspace's zone, America/New_York and Asia/Kolkata, against the same GROUP BY run
//     directly on PostgreSQL (`--quick`: SKU and external user, two zones);
//   - ingestion by 4 clients in 1,000-record batches, new and then all duplicates, against COPY of
//     the same rows into a table of the same shape, in three passes after one unmeasured; the ledger
//     is checked afterwards;
//   - the FOCUS export in CSV and JSONL, downloaded by curl (lines counted by wc), against
//     `COPY (SELECT …) TO STDOUT CSV` through psql;
//   - CPU per request of Node and PostgreSQL, and the gateway's memory idle (2 s and 30 s after start) and at its peak.
// `--quick` runs 5-second load runs, fewer batches and one export per format (under five minutes
// once the workspace is seeded); `--only` measures some sections.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import pg from "pg";
import { operatorContext } from "../src/cli/operator.js";
import { loadConfig } from "../src/config/config.js";
import { grantCredits } from "../src/domain/credits.js";
import type { RunningServer } from "../test/helpers/cli.js";
import { ledgerViolations } from "../test/helpers/ledger-invariants.js";
import { ensureExecutions, PG_FUNCTIONS } from "./bench-data.js";
import { BENCH_DATABASE_URL, benchKey, GATEWAY_NODE, cpuMs, download, dropIngestWorkspaces, fmt, focusRowCount, median, memoryMb, openBenchWorkspace, postgresCpuMs, startBenchGateway } from "./shared.js";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, rows: { type: "string" }, seconds: { type: "string" }, only: { type: "string" } } });
const quick = values.quick!;
const rows = Number(values.rows ?? 1_000_000);
const seconds = Number(values.seconds ?? (quick ? 5 : 20));
const REPEAT = 3;
const SECTIONS = ["dashboard", "typename", "rollups", "ingestion", "export"];
const only = values.only?.split(",") ?? SECTIONS;
/** Whether this run measures that section (`--only` picks some while working on them). */
const measures = (section: string) => only.includes(section);
const DAY = 86_400_000;
if (!Number.isInteger(rows) || rows < 1000 || !(seconds > 0) || only.some((section) => !SECTIONS.includes(section))) {
  console.error(`usage: npm run bench -- [--quick] [--rows N (≥ 1000)] [--seconds S] [--only ${SECTIONS.join(",")}]`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// The operations each side runs.

const GATEWAY_DASHBOARD = `query Dashboard {
  viewer { kind }
  workspace {
    name
    creditBalance { credits usdValue }
    creditTransactions(first: 50) { edges { node { type amount balanceAfter occurredAt } } }
    executions(first: 50) { edges { node { startedAt costUsd billingType workflow { name } } } }
    usageRollup(period: LAST_30_DAYS, granularity: ALL, groupBy: [MODEL]TIMEZONE) { rows { group { model } costUsd } }
  }
}`;
const POSTGRAPHILE_DASHBOARD = `query Dashboard($ws: UUID!, $since: Datetime!) {
  workspaceByRowId(rowId: $ws) {
    name
    creditBalance
    creditTransactionsByWorkspaceId(first: 50, orderBy: PRIMARY_KEY_DESC) { nodes { type amount balanceAfter occurredAt } }
    executionsByWorkspaceId(first: 50, orderBy: STARTED_AT_DESC) { nodes { startedAt costUsd workflowByWorkflowId { name } } }
  }
  ROLLUP(workspace: $ws, since: $since) { nodes { model costUsd } }
}`;
const ROLLUP_QUERY = `query Rollup($from: DateTime!, $to: DateTime!, $groupBy: [RollupDimension!], $timeZone: String) {
  workspace { usageRollup(from: $from, to: $to, granularity: MONTH, groupBy: $groupBy, timeZone: $timeZone) { usedDailyRollup rows { bucketStart costUsd credits eventCount } } }
}`;
const RAW_ROLLUP = (column: string) => `SELECT date_trunc('month', "occurredAt", $4) AS month, "${column}", SUM("costUsd"), SUM(credits), COUNT(*)
  FROM "UsageRecord" WHERE "workspaceId" = $1 AND "occurredAt" >= $2 AND "occurredAt" < $3 GROUP BY 1, 2`;
const COPY_EXPORT = (workspaceId: string) => `COPY (SELECT u.*, s.name, s.meter, s.unit, s."serviceName", s."serviceCategory" FROM "UsageRecord" u JOIN "Sku" s ON s.id = u."skuId" WHERE u."workspaceId" = '${workspaceId}' ORDER BY u."occurredAt", u.id) TO STDOUT CSV`;

// ---------------------------------------------------------------------------------------------

interface Row {
  figure: string;
  gateway: string;
  anchor: string;
  ratio: number | null;
  target: string;
  met: boolean | null;
}
const table: Row[] = [];
const report = (row: Row) => {
  table.push(row);
  console.log(`  ${row.figure}: ${row.gateway} | ${row.anchor} | ${row.ratio === null ? "" : `${row.ratio.toFixed(2)}×`} ${row.met === null ? "" : row.met ? "(target met)" : "(target NOT met)"}`);
};

interface Load {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  nodeCpuMsPerRequest: number;
  pgCpuMsPerRequest: number;
}

/** One autocannon run of `body` against `url` (`duration` seconds); CPU of `pid` and of PostgreSQL over the run. */
async function load(url: string, pid: number, connections: number, body: string, headers: Record<string, string> = {}, duration = seconds): Promise<Load> {
  const [node0, pg0] = [cpuMs(pid), postgresCpuMs()];
  const result = await autocannon({ url, connections, duration, method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const requests = result.requests.total;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests,
    errors: result.errors + result.non2xx + result.timeouts,
    nodeCpuMsPerRequest: (cpuMs(pid) - node0) / Math.max(1, requests),
    pgCpuMsPerRequest: (postgresCpuMs() - pg0) / Math.max(1, requests),
  };
}

/** Seconds each side first runs an operation unmeasured: its pool filled, its statements prepared, its code optimized. */
const WARM_UP_SECONDS = Math.min(5, seconds);

/** A warm-up run of each side, then three runs of each, interleaved; the median run of each side by req/s. */
async function sideBySide(label: string, gateway: (duration?: number) => Promise<Load>, anchor: (duration?: number) => Promise<Load>): Promise<[Load, Load]> {
  await gateway(WARM_UP_SECONDS);
  await anchor(WARM_UP_SECONDS);
  const runs: [Load[], Load[]] = [[], []];
  for (let i = 0; i < REPEAT; i++) {
    runs[0].push(await gateway());
    runs[1].push(await anchor());
    console.log(`    ${label} run ${i + 1}: gateway ${fmt(runs[0].at(-1)!.rps)} req/s, anchor ${fmt(runs[1].at(-1)!.rps)} req/s`);
  }
  const pick = (all: Load[]) => all.find((run) => run.rps === median(all.map((r) => r.rps)))!;
  for (const [side, all] of [["gateway", runs[0]], ["anchor", runs[1]]] as const) {
    const errors = all.reduce((sum, run) => sum + run.errors, 0);
    if (errors) throw new Error(`${label}: ${errors} failed requests on the ${side}'s side`);
  }
  return [pick(runs[0]), pick(runs[1])];
}

const perRequest = (run: Load) => `Node ${fmt(run.nodeCpuMsPerRequest, 2)} ms + PostgreSQL ${fmt(run.pgCpuMsPerRequest, 2)} ms CPU/req`;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Node 24, which PostGraphile v5 needs (≥ 22): CI's copy (scripts/node24.sh installs it once). */
function node24(): string {
  const installed = spawnSync("bash", [path.join(ROOT, "scripts/node24.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (installed.status !== 0) throw new Error("could not install Node 24 (scripts/node24.sh)");
  return installed.stdout.trim();
}

function startPostGraphile(port: number): Promise<ChildProcess> {
  const script = path.join(ROOT, "bench/postgraphile.mjs");
  const child = spawn(node24(), [script], { env: { ...process.env, DATABASE_URL: BENCH_DATABASE_URL, PORT: String(port) }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk;
      if (output.includes("ready")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`PostGraphile exited with ${code}: ${output}`)));
  });
}

async function gql(url: string, query: string, variables: object, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: unknown; errors?: { message: string }[] };
  if (response.status !== 200 || body.errors) throw new Error(`${url}: ${response.status} ${JSON.stringify(body.errors ?? body)}`);
  return body.data;
}

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** Median of three timings after one warm-up. */
async function medianMs(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times = [];
  for (let i = 0; i < REPEAT; i++) times.push(await timed(fn));
  return median(times);
}

function psql(sql: string, stdout: "ignore" | number = "ignore"): number {
  const started = performance.now();
  const result = spawnSync("psql", [BENCH_DATABASE_URL, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], { stdio: ["ignore", stdout, "pipe"] });
  if (result.status !== 0) throw new Error(`psql: ${result.stderr}`);
  return (performance.now() - started) / 1000;
}

// ---------------------------------------------------------------------------------------------

console.log(`Preparing the bench workspace (${fmt(rows)} usage records) on ${BENCH_DATABASE_URL.replace(/\/\/[^@]*@/, "//")}…`);
const { db, workspace } = await openBenchWorkspace(rows);
await ensureExecutions(db, workspace.id, 1_500);
await db.withSession((session) => session.exec(PG_FUNCTIONS));
const readKey = await benchKey(db, workspace.id, ["read:billing"]);
const exportRows = await focusRowCount(db, workspace);
const { timeZone } = await db.prisma.workspace.findUniqueOrThrow({ where: { id: workspace.id } });
// A zone at a half-hour offset from the workspace's, and one at whole hours.
const otherZone = timeZone === "Asia/Kolkata" ? "America/St_Johns" : "Asia/Kolkata";
const wholeHourZone = timeZone === "America/New_York" ? "Europe/Berlin" : "America/New_York";

const server: RunningServer = await startBenchGateway({ FOCUS_RATE_LIMIT_PER_MINUTE: "100000", WRITE_QUEUE_MAX_DEPTH: "10000" });
const serverStarted = performance.now();
const pgPort = 20_000 + Math.floor(Math.random() * 20_000);
const postgraphile = await startPostGraphile(pgPort);
const pgUrl = `http://127.0.0.1:${pgPort}/graphql`;
const gatewayUrl = `${server.url}/graphql`;
const auth = { authorization: `Bearer ${readKey}` };
let exitCode = 0;

try {
  const sleepUntil = (ms: number) => new Promise((resolve) => setTimeout(resolve, serverStarted + ms - performance.now()));
  await sleepUntil(2_000);
  const startedMb = memoryMb(server.pid, "VmRSS");
  // Idle: once V8's memory reducer has run, which it does after allocation has been quiet for a
  // while (about 20 s after start here); before that the process still holds start-up's garbage.
  await sleepUntil(30_000);
  const idleMb = memoryMb(server.pid, "VmRSS");
  console.log(`The gateway's resident memory: ${fmt(startedMb)} MB 2 s after start, ${fmt(idleMb)} MB idle 30 s after start.`);
  console.log(`\nThe gateway (pid ${server.pid}, Node ${GATEWAY_NODE.version}) and PostGraphile (pid ${postgraphile.pid}, Node 24) over ${os.cpus().length} cores; runs of ${seconds} s.`);
  const since = new Date(Date.now() - 30 * DAY).toISOString();
  const dashboards = {
    daily: { gateway: GATEWAY_DASHBOARD.replace("TIMEZONE", ""), postgraphile: POSTGRAPHILE_DASHBOARD.replace("ROLLUP", "benchUsageByModel") },
    raw: { gateway: GATEWAY_DASHBOARD.replace("TIMEZONE", `, timeZone: "${otherZone}"`), postgraphile: POSTGRAPHILE_DASHBOARD.replace("ROLLUP", "benchUsageByModelRaw") },
  };
  console.log(`\nThe gateway runs (with the key's workspace):\n${dashboards.daily.gateway}\nPostGraphile runs (no authentication; $ws the same workspace, $since 30 days ago):\n${dashboards.daily.postgraphile}`);
  console.log(`benchUsageByModel reads "UsageDailyTotal"; benchUsageByModelRaw, and the gateway with timeZone "${otherZone}", read "UsageRecord":\n${PG_FUNCTIONS}`);
  // Both answer before anything is timed.
  await gql(gatewayUrl, dashboards.daily.gateway, {}, auth);
  await gql(pgUrl, dashboards.daily.postgraphile, { ws: workspace.id, since });

  console.log("\nDashboard operation");
  for (const [variant, dashboard] of Object.entries(measures("dashboard") ? dashboards : {})) {
    const body = (query: string, variables: object = {}) => JSON.stringify({ query, variables });
    const g = body(dashboard.gateway);
    const p = body(dashboard.postgraphile, { ws: workspace.id, since });
    const [gateway, anchor] = await sideBySide(`dashboard (${variant}) 50 connections`, (s) => load(gatewayUrl, server.pid, 50, g, auth, s), (s) => load(pgUrl, postgraphile.pid!, 50, p, {}, s));
    const ratio = gateway.rps / anchor.rps;
    report({
      figure: `dashboard, rollup from ${variant === "daily" ? "the daily table" : "usage rows"}, 50 connections`,
      gateway: `${fmt(gateway.rps)} req/s, p99 ${fmt(gateway.p99)} ms; ${perRequest(gateway)}`,
      anchor: `PostGraphile ${fmt(anchor.rps)} req/s, p99 ${fmt(anchor.p99)} ms; ${perRequest(anchor)}`,
      ratio,
      target: variant === "daily" ? "≥ 1.0×, p99 ≤ 150 ms" : "",
      met: variant === "daily" ? ratio >= 1 && gateway.p99 <= 150 : null,
    });
    if (variant === "daily") {
      const [one, oneAnchor] = await sideBySide("dashboard 1 connection", (s) => load(gatewayUrl, server.pid, 1, g, auth, s), (s) => load(pgUrl, postgraphile.pid!, 1, p, {}, s));
      report({ figure: "dashboard, 1 connection", gateway: `p50 ${fmt(one.p50)} ms`, anchor: `PostGraphile p50 ${fmt(oneAnchor.p50)} ms`, ratio: oneAnchor.p50 / Math.max(one.p50, 0.5), target: "p50 ≤ 10 ms", met: one.p50 <= 10 });
    }
  }

  const floor = JSON.stringify({ query: "{ __typename }" });
  if (measures("typename")) {
    const [typename, typenameAnchor] = await sideBySide("{ __typename }", (s) => load(gatewayUrl, server.pid, 50, floor, auth, s), (s) => load(pgUrl, postgraphile.pid!, 50, floor, {}, s));
    report({ figure: "{ __typename } with an API key, 50 connections", gateway: `${fmt(typename.rps)} req/s; Node ${(typename.nodeCpuMsPerRequest * 1000).toFixed(0)} µs CPU/req`, anchor: `PostGraphile (no auth) ${fmt(typenameAnchor.rps)} req/s; Node ${(typenameAnchor.nodeCpuMsPerRequest * 1000).toFixed(0)} µs CPU/req`, ratio: typename.rps / typenameAnchor.rps, target: "≥ 0.5×", met: typename.rps / typenameAnchor.rps >= 0.5 });
  }

  console.log("\n365-day rollups by MONTH (medians of three after a warm-up)");
  // The issue's targets: 50 ms at 1,000,000 records, 100 ms at 10,000,000.
  const rollupTargetMs = rows >= 10_000_000 ? 100 : 50;
  const to = new Date(workspace.to);
  const from = new Date(workspace.to - 365 * DAY);
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await client.connect();
  try {
    for (const [dimension, column] of !measures("rollups") ? [] : [["SKU", "skuId"], ["MODEL", "model"], ["API_KEY", "apiKeyId"], ["EXTERNAL_USER", "externalUserId"], ["EXTERNAL_PROJECT", "externalProjectId"]] as const) {
      if (quick && (dimension === "MODEL" || dimension === "API_KEY" || dimension === "EXTERNAL_PROJECT")) continue;
      for (const zone of quick ? [timeZone, otherZone] : [timeZone, wholeHourZone, otherZone]) {
        const variables = { from: from.toISOString(), to: to.toISOString(), groupBy: [dimension], timeZone: zone };
        const gatewayMs = await medianMs(() => gql(gatewayUrl, ROLLUP_QUERY, variables, auth));
        const rawMs = await medianMs(() => client.query(RAW_ROLLUP(column), [workspace.id, from, to, zone]));
        report({ figure: `365-day rollup MONTH × ${dimension}, ${zone}`, gateway: `${fmt(gatewayMs)} ms`, anchor: `raw GROUP BY ${fmt(rawMs)} ms`, ratio: rawMs / gatewayMs, target: `≤ ${rollupTargetMs} ms`, met: gatewayMs <= rollupTargetMs });
      }
    }
  } finally {
    await client.end();
  }

  console.log("\nIngestion, 4 clients × 1,000-record batches");
  if (measures("ingestion")) {
    const ingest = await ingestion(quick ? 20 : 60);
    report({ figure: `ingestion of ${fmt(ingest.records)} new records (median of ${REPEAT} passes)`, gateway: `${fmt(ingest.acceptedPerSecond)} records/s`, anchor: `COPY ${fmt(ingest.copyPerSecond)} rows/s`, ratio: ingest.acceptedPerSecond / ingest.copyPerSecond, target: "≥ 20,000/s", met: ingest.acceptedPerSecond >= 20_000 });
    report({ figure: "the same batches again (all duplicates)", gateway: `${fmt(ingest.duplicatesPerSecond)} records/s`, anchor: "", ratio: null, target: "≥ 100,000/s", met: ingest.duplicatesPerSecond >= 100_000 });
    if (!ingest.exact) exitCode = 1;
  }

  console.log("\nFOCUS export");
  // What the earlier sections left (the process keeps its heap until V8's memory reducer runs).
  const beforeExportMb = memoryMb(server.pid, "VmRSS");
  if (measures("export")) console.log(`    gateway memory before the exports: ${fmt(beforeExportMb)} MB`);
  const expected = exportRows;
  const copySeconds: number[] = [];
  const exportSeconds: Record<string, number[]> = { csv: [], jsonl: [] };
  let exportPeakMb = 0;
  for (let i = 0; i < (!measures("export") ? 0 : quick ? 1 : REPEAT); i++) {
    for (const format of ["csv", "jsonl"]) {
      const sampler = setInterval(() => (exportPeakMb = Math.max(exportPeakMb, memoryMb(server.pid, "VmRSS"))), 50);
      const [node0, pg0] = [cpuMs(server.pid), postgresCpuMs()];
      const result = await download(`${server.url}/api/billing/focus-export?from=${workspace.from}&to=${workspace.to}&format=${format}`, readKey);
      clearInterval(sampler);
      console.log(`    ${format}: ${fmt(result.seconds, 2)} s; CPU per 1,000 rows: Node ${fmt((cpuMs(server.pid) - node0) / (expected / 1000), 2)} ms, PostgreSQL ${fmt((postgresCpuMs() - pg0) / (expected / 1000), 2)} ms`);
      const dataRows = result.lines - (format === "csv" ? 1 : 0);
      if (dataRows !== expected) throw new Error(`FOCUS ${format}: ${dataRows} rows, expected ${expected}`);
      exportSeconds[format]!.push(result.seconds);
    }
    copySeconds.push(psql(COPY_EXPORT(workspace.id)));
  }
  const copyRate = workspace.usageRecords / median(copySeconds);
  for (const [format, target] of measures("export") ? [["csv", 0.6], ["jsonl", 0.45]] as const : []) {
    const rate = expected / median(exportSeconds[format]!);
    report({ figure: `FOCUS export ${fmt(expected)} rows, ${format.toUpperCase()}`, gateway: `${fmt(rate)} rows/s`, anchor: `COPY … TO STDOUT CSV ${fmt(copyRate)} rows/s`, ratio: rate / copyRate, target: `≥ ${target}× COPY`, met: rate / copyRate >= target });
  }
  const peakMb = memoryMb(server.pid, "VmHWM");
  if (measures("export")) report({ figure: "gateway memory during exports / idle", gateway: `${fmt(exportPeakMb)} MB / ${fmt(idleMb)} MB (${fmt(beforeExportMb)} MB before the exports; 2 s after start ${fmt(startedMb)} MB; peak of the run ${fmt(peakMb)} MB)`, anchor: "", ratio: null, target: "≤ 200 MB / ≤ 150 MB", met: exportPeakMb <= 200 && idleMb <= 150 });
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  postgraphile.kill("SIGTERM");
  await server.stop();
  await db.close();
}

console.log(`\n| figure | gateway | anchor | ratio | target |\n|---|---|---|---|---|`);
for (const row of table) console.log(`| ${row.figure} | ${row.gateway} | ${row.anchor} | ${row.ratio === null ? "" : `${row.ratio.toFixed(2)}`} | ${row.target}${row.met === null ? "" : row.met ? " ✓" : " ✗"} |`);
process.exit(exitCode);

// ---------------------------------------------------------------------------------------------

/**
 * Three passes, each of `batches` batches of 1,000 new records from 4 clients into a workspace of
 * their own (so that the dashboard's workspace stays as seeded), then the same batches again (all
 * duplicates), then a COPY of the same rows into a table of UsageRecord's shape; medians of the
 * three passes, after one pass of each kind unmeasured. Checks the ledger and lots afterwards.
 */
async function ingestion(batches: number) {
  const { ingestWorkspaceId, writeKey } = await ingestWorkspace();
  const run = crypto.randomUUID().slice(0, 8);
  const occurredAt = new Date(Date.now() - DAY).toISOString();
  const send = async (bodies: string[], statuses: Map<string, number>) => {
    let next = 0;
    const started = performance.now();
    const [node0, pg0] = [cpuMs(server.pid), postgresCpuMs()];
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const response = await fetch(`${server.url}/api/v1/events`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${writeKey}` }, body });
        const answer = (await response.json()) as { results?: { status: string }[] };
        if (response.status !== 200) throw new Error(`ingestion: ${response.status} ${JSON.stringify(answer)}`);
        for (const result of answer.results!) statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const perBatch = (ms: number) => `${fmt(ms / bodies.length, 1)} ms`;
    return { seconds, cpu: `Node ${perBatch(cpuMs(server.pid) - node0)}, PostgreSQL ${perBatch(postgresCpuMs() - pg0)}` };
  };
  const records = batches * 1_000;
  const rates = { fresh: [] as number[], again: [] as number[], copy: [] as number[] };
  const fresh = new Map<string, number>();
  const again = new Map<string, number>();
  const batchesOf = (pass: string) => Array.from({ length: batches }, (_, b) => Array.from({ length: 1_000 }, (_, r) =>
    ({ idempotencyKey: `${run}-${pass}-${b}-${r}`, sku: "llm-gpt-4o-input", units: String(100 + r), occurredAt, model: "gpt-4o", externalUserId: `user-${r % 50}` })));
  // Unmeasured first, as each load run is: the write path's code optimized, its statements prepared, the pool filled.
  const warmUp = batchesOf("warm-up").map((batch) => JSON.stringify(batch));
  await send(warmUp, fresh);
  await send(warmUp, again);
  psql(`DROP TABLE IF EXISTS bench.usage_copy; CREATE TABLE bench.usage_copy (LIKE "UsageRecord" INCLUDING ALL)`);
  for (let pass = 0; pass < REPEAT; pass++) {
    const rows = batchesOf(String(pass));
    const bodies = rows.map((batch) => JSON.stringify(batch));
    const stored = await send(bodies, fresh);
    const repeated = await send(bodies, again);
    // COPY of the same rows, with what the gateway stores for each, into a table of the same shape.
    const file = path.join(os.tmpdir(), `bench-copy-${run}-${pass}.csv`);
    const lines = rows.flat().map((r) =>
      [ingestWorkspaceId, occurredAt, "llm-gpt-4o-input", r.units, "0.0000025", "0.00025", "USD", "0.00025", "0.025", "gpt-4o", "user-1", "INFERENCE", r.idempotencyKey].join(","));
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    psql("TRUNCATE bench.usage_copy"); // each pass copies into an empty table, as the first did
    const copySeconds = psql(`\\copy bench.usage_copy ("workspaceId", "occurredAt", "skuId", units, "pricePerUnitUsd", amount, currency, "costUsd", credits, model, "externalUserId", "resourceKind", "idempotencyKey") FROM '${file}' CSV`);
    fs.rmSync(file);
    rates.fresh.push(records / stored.seconds);
    rates.again.push(records / repeated.seconds);
    rates.copy.push(records / copySeconds);
    console.log(`    pass ${pass + 1}: new ${fmt(records / stored.seconds)} records/s (CPU per 1,000-record batch: ${stored.cpu}); ` +
      `again ${fmt(records / repeated.seconds)} records/s (${repeated.cpu}); COPY ${fmt(records / copySeconds)} rows/s`);
  }
  psql("DROP TABLE bench.usage_copy");
  console.log(`    new: ${JSON.stringify(Object.fromEntries(fresh))}; again: ${JSON.stringify(Object.fromEntries(again))}`);

  const violations = await ledgerViolations(db, ingestWorkspaceId);
  const exact = Object.keys(violations).length === 0 && fresh.get("accepted") === (REPEAT + 1) * records && again.get("duplicate") === (REPEAT + 1) * records;
  console.log(`    ledger and lots after ingestion: ${exact ? "exact" : `NOT exact ${JSON.stringify(violations)}`}`);
  await dropIngestWorkspaces(db);
  return { records, acceptedPerSecond: median(rates.fresh), duplicatesPerSecond: median(rates.again), copyPerSecond: median(rates.copy), exact };
}

/** A workspace of the bulk organization for ingestion runs, with credits enough, and a write key. */
async function ingestWorkspace(): Promise<{ ingestWorkspaceId: string; writeKey: string }> {
  const { organizationId } = await db.prisma.workspace.findUniqueOrThrow({ where: { id: workspace.id } });
  const slug = `bench-ingest-${crypto.randomUUID().slice(0, 8)}`;
  const created = await db.prisma.workspace.create({ data: { organizationId, slug, name: "Bench ingestion" } });
  await grantCredits(await operatorContext(db, loadConfig({})), { id: created.id }, { credits: "1000000000", description: "bench ingestion" });
  return { ingestWorkspaceId: created.id, writeKey: await benchKey(db, created.id, ["write:usage"]) };
}
