// `npm test`: typed documents, type check, the suite on embedded PGlite, and the suite again on
// PostgreSQL when TEST_DATABASE_URL is set. Ends with one "N passed, N failed" line.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const extraArgs = process.argv.slice(2);

function run(label, command, args, env = {}) {
  console.log(`\n▶ ${label}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  return result.status === 0;
}

let ok = run("typed GraphQL documents (codegen)", bin("graphql-codegen"), ["--config", "codegen.ts", "--silent"]);
ok = run("type check", bin("tsc"), ["--noEmit"]) && ok;
// Once here, so that the command-line tests, which start the compiled gateway, do not all rebuild it.
ok = run("compile (esbuild)", process.execPath, ["scripts/build.mjs"]) && ok;

const suites = [{ name: "pglite", env: { TEST_DB: "pglite" } }];
if (process.env.TEST_DATABASE_URL) suites.push({ name: "postgres", env: { TEST_DB: "postgres" } });
else console.log("\nTEST_DATABASE_URL is not set: the PostgreSQL pass is skipped.");

let passed = 0;
let failed = 0;
fs.mkdirSync(path.join(root, "test/.tmp"), { recursive: true });
for (const suite of suites) {
  const report = path.join(root, `test/.tmp/results-${suite.name}.json`);
  fs.rmSync(report, { force: true });
  const suiteOk = run(`tests on ${suite.name}`, bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...extraArgs], suite.env);
  if (fs.existsSync(report)) {
    const results = JSON.parse(fs.readFileSync(report, "utf8"));
    passed += results.numPassedTests;
    failed += results.numFailedTests + (suiteOk || results.numFailedTests > 0 ? 0 : 1);
  } else {
    failed += 1;
  }
  ok = suiteOk && ok;
}
if (!ok && failed === 0) failed = 1; // codegen or the type check failed
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
