// FOCUS 1.3 export (BuilderStudio, source 000): streamed JSONL or CSV files and their metadata,
// both from the domain's focus rows.
import { FOCUS_SCHEMA_ID, focusMetadata } from "../domain/focus/metadata.js";
import { focusRowBatches, focusWindowProblem } from "../domain/focus/rows.js";
import type { TimeWindow } from "../domain/time.js";
import { CSV_HEADER, csvLines, EncodedChunks, jsonlLines } from "./focus-files.js";
import { RestError, sendRestJson, type RestContext, type Route } from "./router.js";
import { writeChunk } from "./stream.js";

/** from/to in epoch milliseconds, from before to, at most 365 days; checked before any read. */
export function focusWindow(query: URLSearchParams): TimeWindow {
  const bound = (name: "from" | "to") => {
    const raw = query.get(name);
    if (raw === null || raw === "") throw new RestError(400, "MISSING_PARAMETER", `${name} is required (epoch milliseconds)`, name);
    if (!/^\d{1,15}$/.test(raw)) throw new RestError(400, "INVALID_PARAMETER", `${name} must be epoch milliseconds (got "${raw.slice(0, 40)}")`, name);
    return new Date(Number(raw));
  };
  const from = bound("from");
  const to = bound("to");
  const problem = focusWindowProblem(from, to);
  if (problem) throw new RestError(400, problem.code, problem.message, problem.param);
  return { from, to };
}

const FORMATS = {
  jsonl: { contentType: "application/jsonl; charset=utf-8", header: "", lines: jsonlLines },
  csv: { contentType: "text/csv; charset=utf-8", header: CSV_HEADER, lines: csvLines },
};

/** Writes the chunks in order, each given back to `out` once written; false once the client has gone. */
async function send(ctx: RestContext, out: EncodedChunks): Promise<boolean> {
  for (const chunk of out.take()) if (!(await writeChunk(ctx.res, chunk, () => out.release(chunk)))) return false;
  return true;
}

export const focusRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/billing/focus-export",
    scope: "read:billing",
    rateLimited: true,
    async handle(ctx) {
      const window = focusWindow(ctx.query);
      const formatName = ctx.query.get("format") ?? "jsonl";
      if (formatName !== "jsonl" && formatName !== "csv") {
        throw new RestError(400, "INVALID_PARAMETER", `format must be jsonl or csv (got "${formatName.slice(0, 40)}")`, "format");
      }
      const format = FORMATS[formatName];
      const workspace = await ctx.workspace("read:billing");
      ctx.res.writeHead(200, {
        "Content-Type": format.contentType,
        "Content-Disposition": `attachment; filename="focus-export.${formatName}"`,
        "Cache-Control": "no-store",
        "X-Focus-Schema-Id": FOCUS_SCHEMA_ID,
      });
      const toLine = format.lines();
      const out = new EncodedChunks();
      out.add(format.header);
      let rows = 0;
      let complete = await send(ctx, out);
      const batches = complete ? focusRowBatches(ctx.db, ctx.actor, workspace, window, ctx.focusProviderName) : [];
      for await (const batch of batches) {
        for (const row of batch.rows) out.add(toLine(row));
        rows += batch.rows.length;
        complete = await send(ctx, out);
        if (!complete) break; // the client went away: stop reading
      }
      ctx.logger.info({ rows, complete, format: formatName }, complete ? "focus export sent" : "focus export cancelled by the client");
      ctx.res.end();
    },
  },
  {
    method: "GET",
    path: "/api/billing/focus-metadata",
    scope: "read:billing",
    rateLimited: true,
    async handle(ctx) {
      const window = focusWindow(ctx.query);
      const workspace = await ctx.workspace("read:billing");
      sendRestJson(ctx.res, 200, await focusMetadata(ctx.db.prisma, ctx.actor, workspace, window, ctx.focusProviderName), { "Cache-Control": "no-store" });
    },
  },
];
