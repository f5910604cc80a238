// FOCUS 1.3 export (BuilderStudio, source 000): streamed JSONL or CSV files and their metadata,
// both from the domain's focus rows.
import { once } from "node:events";
import { stringify } from "csv-stringify/sync";
import { Prisma } from "../db/generated/client.js";
import {
  datasetIds, FOCUS_COLUMNS, FOCUS_PROVIDER_NAME, focusMetadata, focusRowBatches, MAX_FOCUS_WINDOW_MS, type FocusRow,
} from "../domain/focus.js";
import type { TimeWindow } from "../domain/time.js";
import { RestError, sendRestJson, type RestContext, type Route } from "./router.js";


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
  if (from >= to) throw new RestError(400, "INVALID_RANGE", "from must be before to", "from");
  if (to.getTime() - from.getTime() > MAX_FOCUS_WINDOW_MS) throw new RestError(400, "RANGE_TOO_LARGE", "The window may span at most 365 days", "to");
  return { from, to };
}

function decimalText(value: Prisma.Decimal): string {
  return value.toFixed();
}

/** One JSONL line: decimals as exact JSON numbers, JSON columns as serialized strings. */
export function jsonlLine(row: FocusRow): string {
  const parts = FOCUS_COLUMNS.map(({ name }) => {
    const value = row[name];
    const text = value === null || value === undefined ? "null" : value instanceof Prisma.Decimal ? decimalText(value) : JSON.stringify(value);
    return `${JSON.stringify(name)}:${text}`;
  });
  return `{${parts.join(",")}}\n`;
}

function csvRows(rows: FocusRow[]): string {
  return stringify(rows.map((row) => FOCUS_COLUMNS.map(({ name }) => {
    const value = row[name];
    return value instanceof Prisma.Decimal ? decimalText(value) : value;
  })));
}

async function write(ctx: RestContext, chunk: string): Promise<void> {
  if (!ctx.res.write(chunk)) await Promise.race([once(ctx.res, "drain"), once(ctx.res, "close")]);
}

export const focusRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/billing/focus-export",
    scope: "read:billing",
    rateLimited: true,
    async handle(ctx) {
      const window = focusWindow(ctx.query);
      const format = ctx.query.get("format") ?? "jsonl";
      if (format !== "jsonl" && format !== "csv") throw new RestError(400, "INVALID_PARAMETER", `format must be jsonl or csv (got "${format.slice(0, 40)}")`, "format");
      const workspace = await ctx.workspace("read:billing");
      const { schemaId } = datasetIds(workspace);
      ctx.res.writeHead(200, {
        "Content-Type": format === "csv" ? "text/csv; charset=utf-8" : "application/jsonl; charset=utf-8",
        "Content-Disposition": `attachment; filename="focus-export.${format}"`,
        "Cache-Control": "no-store",
        "X-Focus-Schema-Id": schemaId,
      });
      let closed = false;
      ctx.res.on("close", () => (closed = true));
      if (format === "csv") await write(ctx, stringify([FOCUS_COLUMNS.map((c) => c.name)]));
      for await (const batch of focusRowBatches(ctx.db.prisma, ctx.actor, workspace, window, FOCUS_PROVIDER_NAME)) {
        if (closed) break; // the client went away: stop reading
        const rows = batch.map((positioned) => positioned.row);
        await write(ctx, format === "csv" ? csvRows(rows) : rows.map(jsonlLine).join(""));
      }
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
      sendRestJson(ctx.res, 200, await focusMetadata(ctx.db.prisma, ctx.actor, workspace, window, FOCUS_PROVIDER_NAME), { "Cache-Control": "no-store" });
    },
  },
];
