// Billing Usage API (source 001): paginated usage rows as JSON or CSV, and aggregated analytics
// by date, model and API key, cached per caller and parameters for 10 minutes.
import type http from "node:http";
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import type { UsageRecord } from "../db/generated/client.js";
import { inclusiveEnd, instant } from "../domain/rules/instants.js";
import { integerParam } from "../domain/rules/numbers.js";
import { pageSizeParam } from "../domain/rules/pages.js";
import { usageAnalytics, type RollupRow } from "../domain/usage-rollup.js";
import { MAX_USAGE_PAGE_NUMBER, USAGE_ROWS_PAGE, usageRows } from "../domain/usage.js";
import { sendRestJson } from "./router.js";
import { defineRoute } from "./route.js";
import { decimalNumber, isoInstant, jsonResponse, param, workspaceIdParam } from "./schemas.js";

const TAG = "Billing Usage API";
const CURRENCIES = ["USD", "VCU", "DIEM", "BUNDLED_CREDITS"] as const;

const CSV_COLUMNS = [
  "timestamp", "sku", "pricePerUnitUsd", "unit", "amount", "currency", "notes",
  "inferenceDetails.requestId", "inferenceDetails.inferenceExecutionTime", "inferenceDetails.promptTokens", "inferenceDetails.completionTokens",
];

const range = {
  currency: z.enum(CURRENCIES).optional().meta({ description: "Only rows charged in this currency." }),
  startDate: instant().optional().meta({ description: "ISO 8601 (a date, or a date-time with its offset), inclusive." }),
  endDate: inclusiveEnd().optional().meta({ description: "ISO 8601, inclusive: a date includes that whole UTC day, a date-time that millisecond." }),
  workspaceId: workspaceIdParam,
};

function rowBody(r: UsageRecord) {
  const inference = r.requestId || r.promptTokens != null || r.inferenceExecutionTimeMs != null;
  return {
    timestamp: r.occurredAt.toISOString(),
    sku: r.skuId,
    pricePerUnitUsd: r.pricePerUnitUsd,
    unit: r.units,
    amount: r.amount,
    currency: r.currency,
    notes: r.notes,
    inferenceDetails: inference
      ? { requestId: r.requestId, inferenceExecutionTime: r.inferenceExecutionTimeMs, promptTokens: r.promptTokens, completionTokens: r.completionTokens }
      : null,
  };
}

function csvRow(r: UsageRecord): unknown[] {
  return [r.occurredAt.toISOString(), r.skuId, r.pricePerUnitUsd.toFixed(), r.units.toFixed(), r.amount.toFixed(), r.currency, r.notes,
    r.requestId, r.inferenceExecutionTimeMs, r.promptTokens, r.completionTokens];
}

/** CSV when the client prefers text/csv to JSON (by q-value, then by order). */
function wantsCsv(accept: string | undefined): boolean {
  const ranked = (accept ?? "")
    .split(",")
    .map((part, index) => {
      const [type, ...params] = part.trim().toLowerCase().split(";");
      const q = Number(params.find((p) => p.trim().startsWith("q="))?.split("=")[1] ?? 1);
      return { type: type!.trim(), q: Number.isNaN(q) ? 0 : q, index };
    })
    .filter((entry) => entry.type === "text/csv" || entry.type === "application/json")
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked[0]?.type === "text/csv";
}

function groupBody(rows: RollupRow[], key: string, pick: (row: RollupRow) => string | null) {
  return rows.map((row) => ({
    [key]: pick(row),
    amountUsd: row.costUsd,
    credits: row.credits,
    requests: row.eventCount,
    promptTokens: row.promptTokens,
    completionTokens: row.completionTokens,
  }));
}

const usageRow = z.object({
  timestamp: isoInstant(), sku: z.string(), pricePerUnitUsd: decimalNumber(), unit: decimalNumber("Units consumed."), amount: decimalNumber(),
  currency: z.string(), notes: z.string().nullable(),
  inferenceDetails: z.object({ requestId: z.string().nullable(), inferenceExecutionTime: z.int().nullable(), promptTokens: z.int().nullable(), completionTokens: z.int().nullable() }).nullable(),
});
const pagination = z.object({ page: z.int(), limit: z.int(), total: z.int(), totalPages: z.int() });
const group = (key: string) => z.array(z.object({
  [key]: z.string().nullable(), amountUsd: decimalNumber(), credits: decimalNumber(), requests: z.int(), promptTokens: z.int(), completionTokens: z.int(),
}));

export const billingUsageRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/v1/billing/usage",
    operationId: "billingUsage",
    summary: "Paginated usage rows (JSON, or CSV when Accept prefers text/csv)",
    tag: TAG,
    scope: "read:billing",
    query: z.object({
      ...range,
      limit: pageSizeParam(USAGE_ROWS_PAGE, "Rows per page (1–500)."),
      page: param(integerParam(1, MAX_USAGE_PAGE_NUMBER).optional(), "Page number, from 1.", { default: 1 }),
      sortOrder: param(z.enum(["asc", "desc"]).optional(), "By timestamp.", { default: "desc" }),
    }),
    responses: {
      "200": {
        description: "A page of usage rows; as CSV the pagination is in headers.",
        headers: z.object({
          "X-Request-Id": z.string(),
          "X-Page": z.string().optional().meta({ description: "CSV only: the page." }),
          "X-Limit": z.string().optional().meta({ description: "CSV only: rows per page." }),
          "X-Total-Count": z.string().optional().meta({ description: "CSV only: rows in all pages." }),
          "X-Total-Pages": z.string().optional().meta({ description: "CSV only: pages." }),
        }),
        content: {
          "application/json": { schema: z.object({ data: z.array(usageRow), pagination }) },
          "text/csv": { schema: z.string().meta({ description: `Columns ${CSV_COLUMNS.join(",")}` }) },
        },
      },
    },
    async handle({ ctx, query, req, res }) {
      const { rows, pagination } = await usageRows(ctx, { id: query.workspaceId }, { from: query.startDate, to: query.endDate, currency: query.currency },
        { number: query.page, size: query.limit, order: query.sortOrder });
      if (wantsCsv(req.headers.accept)) return sendCsv(res, rows, pagination);
      sendRestJson(res, 200, { data: rows.map(rowBody), pagination });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/billing/usage/analytics",
    operationId: "billingUsageAnalytics",
    summary: "Usage by date, model and API key (default: the last 30 days), cached 10 minutes",
    tag: TAG,
    scope: "read:billing",
    query: z.object(range),
    responses: {
      "200": jsonResponse("Totals and breakdowns of the window.", z.object({
        workspaceId: z.uuid(), startDate: isoInstant(), endDate: isoInstant(), computedAt: isoInstant(), cached: z.boolean(),
        totals: z.object({ amountUsd: decimalNumber(), credits: decimalNumber(), requests: z.int() }),
        byDate: group("date"), byModel: group("model"), byApiKey: group("apiKeyId"),
      }), { "X-Cache": z.enum(["HIT", "MISS"]).meta({ description: "Whether the answer came from the 10-minute cache." }) }),
    },
    async handle({ ctx, query, res }) {
      const a = await usageAnalytics(ctx, { id: query.workspaceId }, { from: query.startDate, to: query.endDate, currency: query.currency });
      sendRestJson(res, 200, {
        workspaceId: a.workspace.id,
        startDate: a.window.from.toISOString(),
        endDate: a.window.to.toISOString(),
        computedAt: a.computedAt.toISOString(),
        cached: a.cached,
        totals: { amountUsd: a.totals.costUsd, credits: a.totals.credits, requests: a.totals.eventCount },
        byDate: groupBody(a.byDate, "date", (r) => r.bucketStart!.toISOString()),
        byModel: groupBody(a.byModel, "model", (r) => r.group.MODEL ?? null),
        byApiKey: groupBody(a.byApiKey, "apiKeyId", (r) => r.group.API_KEY ?? null),
      }, { "X-Cache": a.cached ? "HIT" : "MISS" });
    },
  }),
];

function sendCsv(res: http.ServerResponse, rows: UsageRecord[], pagination: { page: number; limit: number; total: number; totalPages: number }) {
  const body = stringify([CSV_COLUMNS, ...rows.map(csvRow)]);
  res.writeHead(200, {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "X-Page": String(pagination.page),
    "X-Limit": String(pagination.limit),
    "X-Total-Count": String(pagination.total),
    "X-Total-Pages": String(pagination.totalPages),
  });
  res.end(body);
}
