// FOCUS 1.3 export (BuilderStudio, source 000): streamed JSONL or CSV files and their metadata,
// both from the domain's focus rows.
import crypto from "node:crypto";
import { once } from "node:events";
import { stringify } from "csv-stringify/sync";
import { Prisma, type Workspace } from "../db/generated/client.js";
import { FOCUS_COLUMNS, focusRowBatches, focusTime, type FocusRow } from "../domain/focus.js";
import type { TimeWindow } from "../domain/time.js";
import { RestError, sendRestJson, type RestContext, type Route } from "./router.js";

const MAX_WINDOW_MS = 365 * 86_400_000;
export const FOCUS_PROVIDER_NAME = process.env.FOCUS_PROVIDER_NAME || "Billing Gateway";
const GENERATOR_VERSION = "0.1.0";

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
  if (to.getTime() - from.getTime() > MAX_WINDOW_MS) throw new RestError(400, "RANGE_TOO_LARGE", "The window may span at most 365 days", "to");
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

/** Identifiers that stay the same for a workspace, and change when the columns change. */
export function datasetIds(workspace: Workspace) {
  const guid = (seed: string) => {
    const h = crypto.createHash("sha256").update(seed).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  return {
    datasetInstanceId: guid(`dataset:${workspace.id}`),
    schemaId: guid(`schema:${JSON.stringify(FOCUS_COLUMNS)}:${GENERATOR_VERSION}`),
  };
}

export async function focusMetadata(ctx: RestContext, workspace: Workspace, window: TimeWindow) {
  const { datasetInstanceId, schemaId } = datasetIds(workspace);
  const sectors = await ctx.db.prisma.$queryRaw<{ day: Date; updated: Date | null }[]>`
    SELECT d.day, GREATEST(
      (SELECT MAX("createdAt") FROM "UsageRecord" u WHERE u."workspaceId" = ${workspace.id}::uuid AND u."occurredAt" >= d.day AND u."occurredAt" < d.day + interval '1 day'),
      (SELECT MAX("occurredAt") FROM "CreditTransaction" c WHERE c."workspaceId" = ${workspace.id}::uuid AND c."occurredAt" >= d.day AND c."occurredAt" < d.day + interval '1 day')
    ) AS updated
    FROM generate_series(date_trunc('day', ${window.from}::timestamptz AT TIME ZONE 'UTC'), (${window.to}::timestamptz - interval '1 millisecond') AT TIME ZONE 'UTC', interval '1 day') AS d(day)`;
  const now = new Date();
  const lastUpdated = sectors.reduce<Date | null>((max, s) => (s.updated && (!max || s.updated > max) ? s.updated : max), null) ?? window.from;
  return {
    DataGenerator: { DataGenerator: FOCUS_PROVIDER_NAME },
    DatasetInstance: [{ DatasetInstanceId: datasetInstanceId, DatasetInstanceName: `Cost and usage of ${workspace.name}`, FocusDatasetId: "CostAndUsage" }],
    Recency: [{
      DatasetInstanceId: datasetInstanceId,
      RecencyLastUpdated: focusTime(now),
      DatasetInstanceLastUpdated: focusTime(lastUpdated),
      TimeSectors: sectors.map(({ day, updated }) => {
        const start = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
        const end = new Date(start.getTime() + 86_400_000);
        return {
          TimeSectorStart: focusTime(start),
          TimeSectorEnd: focusTime(end),
          // A day is complete once it is over: usage may be recorded up to five minutes late.
          TimeSectorComplete: end.getTime() + 5 * 60_000 <= now.getTime(),
          TimeSectorLastUpdated: focusTime(updated ?? start),
        };
      }),
    }],
    Schema: [{
      SchemaId: schemaId,
      CreationDate: "2026-11-22T00:00:00Z",
      FocusVersion: "1.3",
      DataGeneratorVersion: GENERATOR_VERSION,
      DatasetInstanceId: datasetInstanceId,
      ColumnDefinition: FOCUS_COLUMNS.map((column) => ({
        ColumnName: column.name,
        DataType: column.dataType,
        ...(column.stringMaxLength ? { StringMaxLength: column.stringMaxLength, StringEncoding: "UTF-8" } : {}),
        ...(column.numericPrecision ? { NumericPrecision: column.numericPrecision, NumberScale: column.numberScale } : {}),
        ...(column.providerTagPrefixes ? { ProviderTagPrefixes: column.providerTagPrefixes } : {}),
        ...(column.deprecated ? { Deprecated: true } : {}),
      })),
    }],
  };
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
        await write(ctx, format === "csv" ? csvRows(batch) : batch.map(jsonlLine).join(""));
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
      sendRestJson(ctx.res, 200, await focusMetadata(ctx, workspace, window), { "Cache-Control": "no-store" });
    },
  },
];
