// The dashboard's page and files (web/dist, bundled at install time): one HTML shell for every
// /workspace/<id>/<page> URL, and its script and style under /app/, named by content so that a
// browser keeps them until they change.
import crypto from "node:crypto";
import fs from "node:fs";
import type http from "node:http";
import { sendJson } from "./server.js";
import { sendStatic, staticFile, type StaticFile } from "./static-files.js";

const DIST = new URL("../../web/dist/", import.meta.url);
const FILES = { "dashboard.js": "text/javascript", "dashboard.css": "text/css" } as const;
type FileName = keyof typeof FILES;

interface Built {
  files: Map<FileName, StaticFile & { version: string }>;
  page: StaticFile;
}

export interface Dashboard {
  /** Answers GET /workspace/… and /app/<file>; false for other paths. */
  serve(req: http.IncomingMessage, res: http.ServerResponse, path: string): boolean;
  /** The route pattern of a path it answers, for the metrics' bounded labels. */
  routeOf(path: string): string | null;
}

const isPage = (path: string) => path === "/workspace" || path.startsWith("/workspace/");
const fileOf = (path: string) => (path.startsWith("/app/") && Object.hasOwn(FILES, path.slice(5)) ? (path.slice(5) as FileName) : null);

export function createDashboard(): Dashboard {
  let built: Built | null = null;
  // Read once, on first use: the bundle does not change while the process runs.
  const load = (): Built | null => {
    if (built) return built;
    const files: Built["files"] = new Map();
    for (const name of Object.keys(FILES) as FileName[]) {
      const file = new URL(name, DIST);
      if (!fs.existsSync(file)) return null;
      const content = fs.readFileSync(file);
      files.set(name, { ...staticFile(content, FILES[name]), version: crypto.createHash("sha256").update(content).digest("hex").slice(0, 16) });
    }
    const page = staticFile(`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Billing dashboard</title>
    <link rel="stylesheet" href="/app/dashboard.css?v=${files.get("dashboard.css")!.version}" />
  </head>
  <body>
    <div id="app"></div>
    <script type="module" src="/app/dashboard.js?v=${files.get("dashboard.js")!.version}"></script>
  </body>
</html>
`, "text/html");
    return (built = { files, page });
  };

  return {
    routeOf: (path) => (isPage(path) ? "/workspace/*" : fileOf(path) ? path : null),
    serve(req, res, path) {
      const page = isPage(path);
      const file = fileOf(path);
      if (!page && !file) return false;
      if (req.method !== "GET" && req.method !== "HEAD") {
        sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: `${req.method} is not allowed on ${path}` } }, { Allow: "GET, HEAD" });
        return true;
      }
      const bundle = load();
      if (!bundle) {
        sendJson(res, 404, { error: { code: "DASHBOARD_NOT_BUILT", message: "The dashboard is not built: run `npm run build:web` (npm install does)" } });
        return true;
      }
      // The page names each file with its content's hash (?v=), so a copy never needs checking.
      if (page) {
        // The page holds a credential in sessionStorage: it runs only its own script and is never framed.
        res.setHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
        res.setHeader("X-Content-Type-Options", "nosniff");
        sendStatic(req, res, bundle.page, "no-cache");
      }
      else sendStatic(req, res, bundle.files.get(file!)!, "public, max-age=31536000, immutable");
      return true;
    },
  };
}
