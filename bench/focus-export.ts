// Benchmark of the FOCUS export: a workspace with N usage records (default 1,000,000) on the local
// PostgreSQL, a real gateway process, and a client that downloads /api/billing/focus-export over
// HTTP in each format, several times (this machine's speed varies by ±15% from run to run); then an
// export job of the whole range in the finops-hub layout as Parquet. Prints each run, the median
// rows per second and bytes per row of each format, the job's rows per second, and the server's
// peak memory (VmHWM).
//
//   npm run bench:focus -- [--rows 1000000] [--format jsonl,csv,parquet] [--repeat 3] [--job parquet|none]
//   BENCH_DATABASE_URL=postgres://… (default postgres://postgres@127.0.0.1:5432/billing_bench)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { monthsOf } from "../src/domain/focus/export-jobs.js";
import { benchKey, download, fmt, focusRowCount, median, memoryMb, openBenchWorkspace, startBenchGateway } from "./shared.js";

const TARGET_ROWS_PER_SECOND = 100_000;
const TARGET_PEAK_MB = 300;

const { values } = parseArgs({
  options: { rows: { type: "string", default: "1000000" }, format: { type: "string", default: "jsonl,csv,parquet" }, repeat: { type: "string", default: "3" }, job: { type: "string", default: "parquet" } },
});
const rows = Number(values.rows);
const repeat = Number(values.repeat);
const formats = values.format!.split(",");
const FORMATS = ["jsonl", "csv", "parquet"];
if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(repeat) || repeat < 1 || formats.some((f) => !FORMATS.includes(f)) || ![...FORMATS, "none"].includes(values.job!)) {
  console.error("usage: bench/focus-export.ts [--rows N] [--format jsonl,csv,parquet] [--repeat N] [--job jsonl|csv|parquet|none]");
  process.exit(2);
}
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "bench-focus-"));

/** Rows of a Parquet file, as DuckDB counts them. */
async function parquetRows(file: string): Promise<number> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    return Number((await connection.runAndReadAll(`SELECT count(*) FROM read_parquet('${file}')`)).getRows()[0]![0]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

interface JobView { id: string; state: string; error: string | null; progress: { rows: number; bytes: number }; files: { path: string; rows: number; bytes: number }[] }

/** Runs an export job of the whole range in the finops-hub layout, polling it, and prints what it did. */
async function exportJob(url: string, format: string): Promise<boolean> {
  let peakDuringMb = 0;
  const sampler = setInterval(() => (peakDuringMb = Math.max(peakDuringMb, memoryMb(server.pid, "VmRSS"))), 50);
  const started = performance.now();
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  const queued = (await (await fetch(`${url}/api/billing/focus-exports`, { method: "POST", headers, body: JSON.stringify({ from, to, format, layout: "finops-hub" }) })).json()) as JobView;
  let job = queued;
  while (job.state === "queued" || job.state === "running") {
    await new Promise((resolve) => setTimeout(resolve, 200));
    job = (await (await fetch(`${url}/api/billing/focus-exports/${queued.id}`, { headers })).json()) as JobView;
  }
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  const data = job.files.filter((f) => !f.path.endsWith("manifest.json"));
  const months = job.files.length - data.length;
  console.log(
    `  job (${format}, finops-hub): ${job.state}${job.error ? ` (${job.error})` : ""}; ${fmt(job.progress.rows)} rows in ${fmt(seconds, 2)} s = ${fmt(job.progress.rows / seconds)} rows/s, ` +
      `${months} months, ${data.length} files, ${fmt(job.progress.bytes / 1e6)} MB (${fmt(job.progress.bytes / Math.max(1, job.progress.rows), 1)} bytes/row), server RSS at most ${fmt(peakDuringMb)} MB`,
  );
  return job.state === "succeeded" && job.progress.rows === hubRows;
}
/** The workspace's window, how many rows its export has (usage records and other ledger rows) and a read key. */
async function prepare(): Promise<{ from: number; to: number; expectedRows: number; hubRows: number; key: string }> {
  const { db, workspace } = await openBenchWorkspace(rows);
  try {
    // The finops-hub job covers the range's UTC months whole.
    const months = monthsOf({ from: new Date(workspace.from), to: new Date(workspace.to) });
    const hub = { ...workspace, from: months[0]!.from.getTime(), to: months.at(-1)!.to.getTime() };
    return {
      from: workspace.from, to: workspace.to, expectedRows: await focusRowCount(db, workspace), hubRows: await focusRowCount(db, hub),
      key: await benchKey(db, workspace.id, ["read:billing"]),
    };
  } finally {
    await db.close();
  }
}

const { from, to, expectedRows, hubRows, key } = await prepare();
const server = await startBenchGateway({ FOCUS_RATE_LIMIT_PER_MINUTE: "1000", EXPORT_DIR: path.join(scratch, "exports"), EXPORT_JOB_INTERVAL_MS: "200" });
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
      const saved = format === "parquet" ? path.join(scratch, "export.parquet") : undefined;
      const result = await download(`${server.url}/api/billing/focus-export?from=${from}&to=${to}&format=${format}`, key, saved);
      clearInterval(sampler);
      const dataRows = saved ? await parquetRows(saved) : result.lines - (format === "csv" ? 1 : 0);
      speeds.push(dataRows / result.seconds);
      console.log(
        `  ${format.padEnd(7)} run ${run}: ${fmt(dataRows)} rows in ${fmt(result.seconds, 2)} s = ${fmt(speeds.at(-1)!)} rows/s, ` +
          `${fmt(result.bytes / 1e6)} MB (${fmt(result.bytes / Math.max(1, dataRows), 1)} bytes/row, ${fmt(result.bytes / 1e6 / result.seconds)} MB/s), first byte after ${fmt(result.firstByteMs)} ms, ` +
          `server RSS at most ${fmt(peakDuringMb)} MB`,
      );
      if (dataRows !== expectedRows) {
        console.log(`  ${format}: expected ${fmt(expectedRows)} rows`);
        failed = true;
      }
    }
    const middle = median(speeds);
    console.log(`  ${format.padEnd(7)} median: ${fmt(middle)} rows/s; target ${fmt(TARGET_ROWS_PER_SECOND)}: ${middle >= TARGET_ROWS_PER_SECOND ? "met" : "NOT met"}`);
  }
  if (values.job !== "none" && !(await exportJob(server.url, values.job!))) {
    console.log(`  job: expected ${fmt(hubRows)} rows (the range's months whole), succeeded`);
    failed = true;
  }
  const peakMb = memoryMb(server.pid, "VmHWM");
  console.log(`  server peak memory (VmHWM, whole process life): ${fmt(peakMb)} MB; target under ${TARGET_PEAK_MB} MB: ${peakMb < TARGET_PEAK_MB ? "met" : "NOT met"}`);
} finally {
  await server.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
