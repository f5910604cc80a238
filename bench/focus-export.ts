// Benchmark of the FOCUS export: a workspace with N usage records (default 1,000,000) on the local
// PostgreSQL, a real gateway process, and a client that downloads /api/billing/focus-export over
// HTTP in each format, several times (this machine's speed varies by ±15% from run to run). Prints
// each run, the median rows per second of each format, and the server's peak memory (VmHWM).
//
//   npm run bench:focus -- [--rows 1000000] [--format jsonl|csv|both] [--repeat 3]
//   BENCH_DATABASE_URL=postgres://… (default postgres://postgres@127.0.0.1:5432/billing_bench)
import { parseArgs } from "node:util";
import { benchKey, download, fmt, focusRowCount, median, memoryMb, openBenchWorkspace, startBenchGateway } from "./shared.js";

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
/** The workspace's window, how many rows its export has (usage records and other ledger rows) and a read key. */
async function prepare(): Promise<{ from: number; to: number; expectedRows: number; key: string }> {
  const { db, workspace } = await openBenchWorkspace(rows);
  try {
    return { from: workspace.from, to: workspace.to, expectedRows: await focusRowCount(db, workspace), key: await benchKey(db, workspace.id, ["read:billing"]) };
  } finally {
    await db.close();
  }
}

const { from, to, expectedRows, key } = await prepare();
const server = await startBenchGateway({ FOCUS_RATE_LIMIT_PER_MINUTE: "1000" });
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
    const middle = median(speeds);
    console.log(`  ${format.padEnd(5)} median: ${fmt(middle)} rows/s; target ${fmt(TARGET_ROWS_PER_SECOND)}: ${middle >= TARGET_ROWS_PER_SECOND ? "met" : "NOT met"}`);
  }
  const peakMb = memoryMb(server.pid, "VmHWM");
  console.log(`  server peak memory (VmHWM, whole process life): ${fmt(peakMb)} MB; target under ${TARGET_PEAK_MB} MB: ${peakMb < TARGET_PEAK_MB ? "met" : "NOT met"}`);
} finally {
  await server.stop();
}
process.exit(failed ? 1 : 0);
