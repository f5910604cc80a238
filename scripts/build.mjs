// Compiles src/**/*.ts to build/**/*.js with esbuild (transpile only; `npm test` type-checks), so
// that the gateway runs plain JavaScript: running the sources through tsx costs a loader thread and
// about 95 MB of memory. The binary calls buildIfStale() first, so an edited source is rebuilt
// before the next start; `node scripts/build.mjs` builds by hand.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** The sources' names and change times: the build is current while this is unchanged. */
function fingerprint(sourceDir, files) {
  return files.map((file) => `${path.relative(sourceDir, file)} ${fs.statSync(file).mtimeMs}`).sort().join("\n");
}

/** Rebuilds build/ when a source changed since the last build; returns the CLI's entry module. */
export async function buildIfStale(root = projectRoot) {
  const sourceDir = path.join(root, "src");
  // build/ sits beside src/, so paths relative to a module (../../prisma/migrations) still resolve.
  const buildDir = path.join(root, "build");
  const stamp = path.join(buildDir, ".sources");
  const files = sourceFiles(sourceDir);
  const current = fingerprint(sourceDir, files);
  if (!fs.existsSync(stamp) || fs.readFileSync(stamp, "utf8") !== current) {
    // Built aside and renamed into place, so a process starting meanwhile never sees half a build.
    const next = `${buildDir}.${process.pid}.tmp`;
    await build({
      entryPoints: files, outdir: next, outbase: sourceDir, format: "esm", platform: "node", target: "node20",
      sourcemap: "linked", logLevel: "warning",
    });
    fs.writeFileSync(path.join(next, ".sources"), current);
    if (fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === current) {
      fs.rmSync(next, { recursive: true, force: true }); // another process put the same build in place first
    } else {
      const old = `${buildDir}.${process.pid}.old`;
      if (fs.existsSync(buildDir)) fs.renameSync(buildDir, old);
      fs.renameSync(next, buildDir);
      fs.rmSync(old, { recursive: true, force: true });
    }
  }
  return path.join(buildDir, "cli", "main.js");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildIfStale();
