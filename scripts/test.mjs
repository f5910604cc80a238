// `npm test`: typed documents, type check, the suite on embedded PGlite, and the suite again on
// PostgreSQL when TEST_DATABASE_URL is set. With `--dates` (or TEST_DATES), the PGlite pass runs
// with the process clock moved to each date by libfaketime instead, to show that the suite passes
// on any date. TEST_NODE names a second Node.js (CI: Node 24) that runs the second of those passes,
// or a PGlite pass of its own without dates. Ends with one "N passed, N failed" line.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);

/** A US DST change (New York springs forward at 07:00 UTC), a leap day, and the last hour of a month. */
const DEFAULT_DATES = ["2027-03-14T07:30:00Z", "2028-02-29T12:00:00Z", "2027-01-31T23:30:00Z"];
const datesFlag = process.argv.includes("--dates");
const extraArgs = process.argv.slice(2).filter((arg) => arg !== "--dates");
const dates = datesFlag ? DEFAULT_DATES : (process.env.TEST_DATES ?? "").split(/[\s,]+/).filter(Boolean);

function run(label, command, args, env = {}) {
  console.log(`\n▶ ${label}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  if (result.error) console.error(`${command}: ${result.error.message}`);
  return result.status === 0;
}

let ok = run("typed GraphQL documents (codegen)", bin("graphql-codegen"), ["--config", "codegen.ts", "--silent"]);
ok = run("type check", bin("tsc"), ["--noEmit"]) && ok;
ok = run("type check (dashboard)", bin("tsc"), ["-p", "web", "--noEmit"]) && ok;
ok = run("bundle the dashboard (esbuild)", process.execPath, ["scripts/build-web.mjs"]) && ok;
// Once here, so that the command-line tests, which start the compiled gateway, do not all rebuild it.
ok = run("compile (esbuild)", process.execPath, ["scripts/build.mjs"]) && ok;

const vitest = { command: bin("vitest"), args: [] };
// With dates, the dated passes are the PGlite passes: today's date is the PostgreSQL pass's (CI
// would otherwise run one pass more than its 30 minutes allow).
const suites = dates.length ? [] : [{ name: "pglite", env: { TEST_DB: "pglite" }, ...vitest }];
if (process.env.TEST_DATABASE_URL) suites.push({ name: "postgres", env: { TEST_DB: "postgres" }, ...vitest });
else console.log("\nTEST_DATABASE_URL is not set: the PostgreSQL pass is skipped.");
if (!fs.existsSync(process.env.CHROMIUM_PATH ?? "/usr/bin/chromium")) console.log("Chromium is not installed (apt-get install chromium; .ci/run does): the browser tests are skipped.");

// vitest's workers and the command-line tests' servers run on the Node that runs vitest.
const otherNode = process.env.TEST_NODE ? { path: process.env.TEST_NODE, version: spawnSync(process.env.TEST_NODE, ["--version"], { encoding: "utf8" }).stdout.trim() } : null;
if (otherNode && !otherNode.version) throw new Error(`TEST_NODE: ${process.env.TEST_NODE} does not run`);
const vitestOn = (node) => (node ? [node.path, path.join(root, "node_modules/vitest/vitest.mjs")] : [bin("vitest")]);
const runtime = (node) => (node ? ` on Node ${node.version}` : "");
dates.forEach((date, i) => {
  if (Number.isNaN(Date.parse(date))) throw new Error(`TEST_DATES: "${date}" is not an ISO 8601 date-time`);
  // "@" starts the faked clock at the date and lets it run, so that timers still fire.
  const faked = `@${new Date(date).toISOString().slice(0, 19).replace("T", " ")}`;
  const node = i === 1 ? otherNode : null;
  suites.push({ name: `pglite${runtime(node)}, the clock moved to ${date}`, env: { TEST_DB: "pglite", TZ: "UTC" }, command: "faketime", args: ["-f", faked, ...vitestOn(node)] });
});
if (otherNode && dates.length < 2) {
  const [command, ...args] = vitestOn(otherNode);
  suites.push({ name: `pglite${runtime(otherNode)}`, env: { TEST_DB: "pglite" }, command, args });
}

let passed = 0;
let failed = 0;
/** Every failed test by suite, repeated at the end so that the tail of a long CI log names them. */
const failures = [];
fs.mkdirSync(path.join(root, "test/.tmp"), { recursive: true });
for (const [i, suite] of suites.entries()) {
  const report = path.join(root, `test/.tmp/results-${i}.json`);
  fs.rmSync(report, { force: true });
  const suiteOk = run(`tests on ${suite.name}`, suite.command, [...suite.args, "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...extraArgs], suite.env);
  if (fs.existsSync(report)) {
    const results = JSON.parse(fs.readFileSync(report, "utf8"));
    passed += results.numPassedTests;
    for (const file of results.testResults) {
      for (const test of file.assertionResults.filter((t) => t.status === "failed")) {
        const reason = (test.failureMessages[0] ?? "").split("\n")[0].slice(0, 300);
        failures.push(`${suite.name}: ${path.relative(root, file.name)} › ${test.fullName}\n    ${reason}`);
      }
      if (file.status === "failed" && file.assertionResults.length === 0) failures.push(`${suite.name}: ${path.relative(root, file.name)}: ${(file.message ?? "").split("\n")[0]}`);
    }
    failed += results.numFailedTests + (suiteOk || results.numFailedTests > 0 ? 0 : 1);
  } else {
    failed += 1;
  }
  ok = suiteOk && ok;
}
if (!ok && failed === 0) failed = 1; // codegen or the type check failed
if (failures.length) console.log(`\nFailed:\n${failures.map((f) => `  ${f}`).join("\n")}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
