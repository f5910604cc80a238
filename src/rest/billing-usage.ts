// Billing Usage API (source 001): paginated usage rows as JSON or CSV, and aggregated analytics
// by date, model and API key, cached per caller and parameters for 10 minutes.
import type http from "node:http";
import { stringify } from "csv-stringify/sync";
import { LRUCache } from "lru-cache";
import { z } from "zod";
import type { UsageRecord } from "../db/generated/client.js";
import { usagePage } from "../domain/usage.js";
import { usageRollup, type RollupRow } from "../domain/usage-rollup.js";
import { parseQuery, RestError, sendRestJson, type Route } from "./router.js";
import type { Actor } from "../auth/actor.js";

const CURRENCIES = ["USD", "VCU", "DIEM", "BUNDLED_CREDITS"] as const;
const isoDate = z.string().refine((v) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) && !Number.isNaN(Date.parse(v)), "must be an ISO 8601 date").transform((v) => new Date(v));

const rowsQuery = z.object({
  currency: z.enum(CURRENCIES).optional(),
  startDate: isoDate.optional(),
  endDate: isoDate.optional(),
  limit: z.coerce.number().int("must be an integer").gt(0, "must be between 1 and 500").max(500, "must be between 1 and 500").default(200),
  page: z.coerce.number().int("must be an integer").gt(0, "must be 1 or more").max(1_000_000, "is too large").default(1),
  sortOrder: z.enum(["asc", "desc"]).default("desc"),
  workspaceId: z.string().optional(),
});

export const CSV_COLUMNS = [
  "timestamp", "sku", "pricePerUnitUsd", "unit", "amount", "currency", "notes",
  "inferenceDetails.requestId", "inferenceDetails.inferenceExecutionTime", "inferenceDetails.promptTokens", "inferenceDetails.completionTokens",
];

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
export function wantsCsv(accept: string | undefined): boolean {
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

const ANALYTICS_TTL_MS = 10 * 60_000;
const analyticsCache = new LRUCache<string, { computedAt: string; body: unknown }>({ max: 1_000, ttl: ANALYTICS_TTL_MS });

const callerKey = (actor: Actor) => (actor.kind === "apiKey" ? `key:${actor.apiKeyId}` : `user:${actor.userId}`);

function groupBody(rows: RollupRow[], key: string, pick: (row: RollupRow) => string | null) {
  return rows.map((row) => ({
    [key]: pick(row),
    amountUsd: row.costUsd,
    credits: row.credits,
    requests: row.eventCount,
    promptTokens: Number(row.promptTokens),
    completionTokens: Number(row.completionTokens),
  }));
}

export const billingUsageRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/billing/usage",
    scope: "read:billing",
    async handle(ctx) {
      const query = parseQuery(rowsQuery, ctx.query);
      if (query.startDate && query.endDate && query.startDate > query.endDate) {
        throw new RestError(400, "INVALID_PARAMETER", "startDate: startDate must not be after endDate", "startDate");
      }
      const workspace = await ctx.workspace("read:billing");
      // endDate is inclusive in the source document (…T23:59:59.000Z).
      const to = query.endDate ? new Date(query.endDate.getTime() + 1) : null;
      const { rows, total } = await usagePage(ctx.db.prisma, ctx.actor, workspace.id, { from: query.startDate, to, currency: query.currency },
        { skip: (query.page - 1) * query.limit, take: query.limit, order: query.sortOrder });
      const pagination = { page: query.page, limit: query.limit, total, totalPages: Math.ceil(total / query.limit) };
      if (wantsCsv(ctx.req.headers.accept)) return sendCsv(ctx.res, rows, pagination);
      sendRestJson(ctx.res, 200, { data: rows.map(rowBody), pagination });
    },
  },
  {
    method: "GET",
    path: "/api/v1/billing/usage/analytics",
    scope: "read:billing",
    async handle(ctx) {
      const query = parseQuery(rowsQuery.pick({ currency: true, startDate: true, endDate: true, workspaceId: true }), ctx.query);
      const workspace = await ctx.workspace("read:billing");
      const to = query.endDate ? new Date(query.endDate.getTime() + 1) : new Date();
      const from = query.startDate ?? new Date(to.getTime() - 30 * 86_400_000);
      // Keyed by the parameters as sent, so that "the last 30 days" hits the cache for 10 minutes.
      const key = [callerKey(ctx.actor), workspace.id, ctx.query.get("startDate"), ctx.query.get("endDate"), query.currency].join("|");
      const cached = analyticsCache.get(key);
      if (cached) return sendRestJson(ctx.res, 200, { ...(cached.body as object), cached: true }, { "X-Cache": "HIT" });
      const run = (granularity: "DAY" | "ALL", groupBy: ("MODEL" | "API_KEY" | "CURRENCY")[]) =>
        usageRollup(ctx.db.prisma, ctx.actor, workspace, { from, to, granularity, groupBy: query.currency ? [...groupBy, "CURRENCY"] : groupBy });
      const [byDate, byModel, byApiKey] = await Promise.all([run("DAY", []), run("ALL", ["MODEL"]), run("ALL", ["API_KEY"])]);
      const only = (rows: RollupRow[]) => (query.currency ? rows.filter((r) => r.group.CURRENCY === query.currency) : rows);
      const body = {
        workspaceId: workspace.id,
        startDate: from.toISOString(),
        endDate: to.toISOString(),
        computedAt: new Date().toISOString(),
        totals: { amountUsd: byDate.totals.costUsd, credits: byDate.totals.credits, requests: byDate.totals.eventCount },
        byDate: groupBody(only(byDate.rows), "date", (r) => r.bucketStart!.toISOString()),
        byModel: groupBody(only(byModel.rows), "model", (r) => r.group.MODEL ?? null),
        byApiKey: groupBody(only(byApiKey.rows), "apiKeyId", (r) => r.group.API_KEY ?? null),
      };
      analyticsCache.set(key, { computedAt: body.computedAt, body });
      sendRestJson(ctx.res, 200, { ...body, cached: false }, { "X-Cache": "MISS" });
    },
  },
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
