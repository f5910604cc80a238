// GraphiQL without the internet: yoga's GraphiQL bundle comes from the npm package
// @graphql-yoga/render-graphiql and is served by the gateway itself. The page is small and the
// bundle (8.8 MB with its workers, 2.4 MB gzipped) is a cacheable asset under a versioned path,
// rather than inlined into every page as that package's renderGraphiQL does.
import { createRequire } from "node:module";
import type http from "node:http";
import type { GraphiQLOptions } from "graphql-yoga";
import { sendStatic, staticFile, type StaticFile } from "../http/static-files.js";
import { EXAMPLE_OPERATIONS } from "./examples.js";

const VERSION = (createRequire(import.meta.url)("@graphql-yoga/render-graphiql/package.json") as { version: string }).version;
const BASE = `/graphiql/${VERSION}`;

type Bundle = typeof import("@graphql-yoga/render-graphiql/graphiql");
const ASSETS: Record<string, { type: string; pick: (bundle: Bundle) => string }> = {
  "graphiql.js": { type: "text/javascript", pick: (b) => b.js },
  "graphiql.css": { type: "text/css", pick: (b) => b.css },
  // Monaco's workers, by the label it asks for.
  "editorWorkerService.worker.js": { type: "text/javascript", pick: (b) => b.editorWorkerService },
  "json.worker.js": { type: "text/javascript", pick: (b) => b.jsonWorker },
  "graphql.worker.js": { type: "text/javascript", pick: (b) => b.graphqlWorker },
};

/** The page yoga answers a browser's GET /graphql with: the gateway's options and its example tabs. */
export function graphiqlPage(options: GraphiQLOptions): string {
  const headers = options.headers ?? "{}";
  const props = {
    ...options,
    // yoga's page opens `query`, not `defaultQuery` (which would show its welcome comment instead).
    query: options.defaultQuery,
    defaultTabs: EXAMPLE_OPERATIONS.map((example) => ({ query: example.query, variables: example.variables ? JSON.stringify(example.variables, null, 2) : undefined, headers })),
  };
  // Inside <script>, "</script>" or "<!--" in a value must not end the element.
  const json = JSON.stringify(props).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title ?? "GraphiQL")}</title>
    <link rel="stylesheet" href="${BASE}/graphiql.css" />
  </head>
  <body class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
    <script>self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_id, label) => "${BASE}/" + label + ".worker.js" };</script>
    <script src="${BASE}/graphiql.js"></script>
    <script>YogaGraphiQL.renderYogaGraphiQL(document.querySelector("#root"), ${json});</script>
  </body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

type AssetRoute = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/** GET routes of the assets; each is loaded and gzipped once, on first request. */
export function graphiqlAssetRoutes(): Record<string, AssetRoute> {
  let bundle: Promise<Bundle> | null = null;
  const cache = new Map<string, StaticFile>();
  const load = async (name: string, type: string, pick: (b: Bundle) => string) => {
    if (!cache.has(name)) cache.set(name, staticFile(pick(await (bundle ??= import("@graphql-yoga/render-graphiql/graphiql"))), type));
    return cache.get(name)!;
  };
  return Object.fromEntries(
    Object.entries(ASSETS).map(([name, { type, pick }]) => [
      `${BASE}/${name}`,
      // The path names the package's version: the file under it never changes.
      async (req: http.IncomingMessage, res: http.ServerResponse) => sendStatic(req, res, await load(name, type, pick), "public, max-age=31536000, immutable"),
    ]),
  );
}
