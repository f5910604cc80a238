// Bundles the dashboard (web/src, Preact and Chart.js) into web/dist with esbuild, at install time
// and before the tests: the gateway serves these files, so the dashboard needs no CDN. Its typed,
// persisted documents come first from codegen (web/src/gql).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

await build({
  entryPoints: { dashboard: path.join(root, "web/src/main.tsx") },
  outdir: path.join(root, "web/dist"),
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  sourcemap: "linked",
  logLevel: "warning",
});
