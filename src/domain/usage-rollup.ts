// Usage (or execution) totals by calendar bucket and dimension, in any IANA time zone. Whole
// local days of the workspace's own zone come from the daily aggregate tables, and whole months
// from the monthly ones where their days share a bucket; a day that another zone's bucket boundary
// cuts counts in its longer part's bucket and the rows of its shorter part move to their own
// (time.ts, rollupPlan); a partial day at the window's edges reads its rows, or its aggregate less
// the rows outside the window where those are fewer. Those rows come from the hourly tables for
// their whole UTC hours; hourly buckets read the records. All parts meet in one SQL statement, so
// totals are exact either way.
import type { Workspace } from "../db/generated/client.js";
import { readRollup, ROLLUP_SOURCE_DIMENSIONS, type RollupMetricColumn, type RollupSqlRow } from "../store/aggregates.js";
import { directSql } from "../store/rows.js";
import type { RequestContext } from "./context.js";
import { ValidationError } from "./errors.js";
import { Decimal } from "./ledger.js";
import { resolveWindow, type TimeWindow, type WindowInput } from "./rules/windows.js";
import { assertTimeZone, rollupPlan, type Granularity } from "./time.js";
import { workspaceFor, type WorkspaceTarget } from "./workspaces.js";

export const ROLLUP_DIMENSIONS = [
  "MODEL", "SKU", "API_KEY", "WORKFLOW", "EXTERNAL_USER", "EXTERNAL_PROJECT", "WORKSPACE", "CURRENCY", "RESOURCE_KIND", "TRIGGER",
] as const;
export type RollupDimension = (typeof ROLLUP_DIMENSIONS)[number];

/** Dimensions that only executions have; grouping by one of them rolls up executions. */
const EXECUTION_ONLY: RollupDimension[] = ["WORKFLOW", "TRIGGER"];

export interface UsageRollupArgs extends WindowInput {
  granularity?: Granularity | null;
  groupBy?: RollupDimension[] | null;
  timeZone?: string | null;
  /** What to roll up; grouping by WORKFLOW or TRIGGER implies EXECUTIONS. */
  source?: "USAGE" | "EXECUTIONS" | null;
  /**
   * The metrics to sum, all when absent (what a GraphQL operation selects); rows always carry cost
   * and count too. Reading any other metric from the rows or totals throws: it was never summed,
   * and zero would be a wrong answer.
   */
  metrics?: readonly RollupMetricName[] | null;
}

export interface RollupMetrics {
  quantity: Decimal;
  costUsd: Decimal;
  credits: Decimal;
  eventCount: number;
  promptTokens: bigint;
  completionTokens: bigint;
  cacheReadTokens: bigint;
  cacheWriteTokens: bigint;
}

export type RollupMetricName = keyof RollupMetrics;

/** Each metric's column in the rollup's SQL. */
const METRIC_COLUMNS: Record<RollupMetricName, RollupMetricColumn> = {
  quantity: "q", costUsd: "c", credits: "cr", eventCount: "n", promptTokens: "pt", completionTokens: "ct", cacheReadTokens: "crt", cacheWriteTokens: "cwt",
};
const ALL_METRICS = Object.keys(METRIC_COLUMNS) as RollupMetricName[];

export interface RollupRow extends RollupMetrics {
  bucketStart: Date | null;
  group: Partial<Record<RollupDimension, string | null>>;
}

export interface UsageRollup {
  source: "USAGE" | "EXECUTIONS";
  window: TimeWindow;
  timeZone: string;
  granularity: Granularity;
  groupBy: RollupDimension[];
  rows: RollupRow[];
  totals: RollupMetrics;
  /** Whether whole days were read from the daily aggregate tables. */
  usedDailyRollup: boolean;
}

/** Windows span at most 366 days, or 31 with hourly buckets. */
const MAX_WINDOW_DAYS = 366;
const MAX_HOURLY_DAYS = 31;

const UNITS = { HOUR: "hour", DAY: "day", WEEK: "week", MONTH: "month", QUARTER: "quarter", ALL: null } as const;

export async function usageRollup(ctx: RequestContext, target: WorkspaceTarget, args: UsageRollupArgs): Promise<UsageRollup> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  const timeZone = assertTimeZone(args.timeZone ?? workspace.timeZone);
  const granularity = args.granularity ?? "DAY";
  const groupBy = [...new Set(args.groupBy ?? [])];
  const window = resolveWindow(args, { maxDays: granularity === "HOUR" ? MAX_HOURLY_DAYS : MAX_WINDOW_DAYS }, timeZone, ctx.clock.now());
  const executions = args.source === "EXECUTIONS" || groupBy.some((d) => EXECUTION_ONLY.includes(d));
  if (args.source === "USAGE" && executions) {
    throw ValidationError.single("groupBy", "WORKFLOW and TRIGGER group executions; use source EXECUTIONS");
  }
  const source = executions ? "EXECUTIONS" : "USAGE";
  const invalid = groupBy.filter((d) => !ROLLUP_SOURCE_DIMENSIONS[source].includes(d));
  if (invalid.length) throw ValidationError.single("groupBy", `executions cannot be grouped by ${invalid.join(", ")}`);

  const unit = UNITS[granularity];
  const plan = rollupPlan(window, workspace.timeZone, timeZone, unit, ctx.clock.now());
  const metrics = args.metrics ?? ALL_METRICS;
  // Read from aggregates, each part of the statement is an index range that the plan bounds (raw
  // rows within an hour, hours within a day, then days or months): one generic plan per shape suits
  // any window, and planning the dashboard's took longer than running it. Hourly buckets read a
  // window's raw rows (up to 31 days): planned for its width, 115–140 ms instead of 150–200.
  const rows = await readRollup(directSql(ctx.db, { plan: plan.days === null ? "custom" : "generic" }), {
    source, workspaceId: workspace.id, timeZone, unit, dims: groupBy, from: window.from, ...plan, metrics: metrics.map((m) => METRIC_COLUMNS[m]),
  });
  const result = rows.map((row) => withMetrics({
    bucketStart: granularity === "ALL" ? null : row.b,
    group: Object.fromEntries(groupBy.map((dimension, i) => [dimension, row[`d${i}`] ?? null])),
  }, metricsOf(row)));
  return { source, window, timeZone, granularity, groupBy, rows: result, totals: sumMetrics(result, metrics), usedDailyRollup: plan.days !== null };
}

function metricsOf(row: RollupSqlRow): Partial<RollupMetrics> {
  return {
    quantity: row.q,
    costUsd: row.c,
    credits: row.cr,
    eventCount: row.n,
    promptTokens: row.pt,
    completionTokens: row.ct,
    cacheReadTokens: row.crt,
    cacheWriteTokens: row.cwt,
  };
}

/**
 * Prototypes whose getters throw for the metrics that were not summed, one per set of summed
 * metrics: rows inherit them instead of each defining eight properties (which cost a dashboard
 * request half a millisecond and left every row a slow dictionary-mode object).
 */
const unsummedPrototypes = new Map<string, object>();

function unsummedPrototype(summed: RollupMetricName[]): object {
  const key = summed.join(",");
  let prototype = unsummedPrototypes.get(key);
  if (!prototype) {
    const getters = ALL_METRICS.filter((name) => !summed.includes(name)).map((name) => [name, {
      get: () => { throw new Error(`rollup metric ${name} was not summed: ask for it in metrics`); },
    }]);
    prototype = Object.create(Object.prototype, Object.fromEntries(getters)) as object;
    unsummedPrototypes.set(key, prototype);
  }
  return prototype;
}

/** `target` with the metrics summed; reading one that was not throws (zero would be a wrong answer). */
function withMetrics<T extends object>(target: T, values: Partial<RollupMetrics>): T & RollupMetrics {
  const summed = ALL_METRICS.filter((name) => values[name] !== undefined);
  const row = Object.assign(Object.create(unsummedPrototype(summed)) as object, target);
  for (const name of summed) (row as Record<string, unknown>)[name] = values[name];
  return row as T & RollupMetrics;
}

const ZERO: RollupMetrics = { quantity: new Decimal(0), costUsd: new Decimal(0), credits: new Decimal(0), eventCount: 0, promptTokens: 0n, completionTokens: 0n, cacheReadTokens: 0n, cacheWriteTokens: 0n };

/** The sums of `metrics` over the rows (all of them by default). */
function sumMetrics(rows: RollupMetrics[], metrics: readonly RollupMetricName[] = ALL_METRICS): RollupMetrics {
  const add = (a: RollupMetrics[RollupMetricName], b: RollupMetrics[RollupMetricName]) =>
    a instanceof Decimal ? a.plus(b as Decimal) : typeof a === "number" ? a + (b as number) : (a as bigint) + (b as bigint);
  return withMetrics({}, Object.fromEntries(metrics.map((m) => [m, rows.reduce((sum, row) => add(sum, row[m]), ZERO[m])])));
}

// ---- Billing Usage analytics (source 001) -------------------------------------------------------

export type AnalyticsCurrency = "USD" | "VCU" | "DIEM" | "BUNDLED_CREDITS";

const ANALYTICS_WINDOW = { maxDays: MAX_WINDOW_DAYS, defaultPeriod: "LAST_30_DAYS" as const, names: { from: "startDate", to: "endDate" } };
/** The Billing Usage API documents its analytics as cached for 10 minutes. */
export const ANALYTICS_TTL_MS = 10 * 60_000;

export interface UsageAnalytics {
  workspace: Workspace;
  window: TimeWindow;
  computedAt: Date;
  totals: RollupMetrics;
  byDate: RollupRow[];
  byModel: RollupRow[];
  byApiKey: RollupRow[];
  cached: boolean;
}

/**
 * Totals by date, model and API key (default: the last 30 days), cached per caller and parameters
 * as sent for 10 minutes, so that "the last 30 days" is answered from the cache meanwhile.
 */
export async function usageAnalytics(ctx: RequestContext, target: WorkspaceTarget, query: { from?: Date | null; to?: Date | null; currency?: AnalyticsCurrency | null }): Promise<UsageAnalytics> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  const key = [ctx.access.callerKey, workspace.id, query.from?.getTime(), query.to?.getTime(), query.currency].join("|");
  const cached = ctx.settings.analyticsCache.get(key) as Omit<UsageAnalytics, "cached"> | undefined;
  // Fresh by the request's clock (the cache's own expiry only bounds its memory).
  if (cached && ctx.clock.now().getTime() - cached.computedAt.getTime() < ANALYTICS_TTL_MS) return { ...cached, cached: true };
  const window = resolveWindow(query, ANALYTICS_WINDOW, workspace.timeZone, ctx.clock.now());
  const currency = query.currency;
  const run = (granularity: "DAY" | "ALL", groupBy: RollupDimension[]) =>
    usageRollup(ctx, workspace, { ...window, granularity, groupBy: currency ? [...groupBy, "CURRENCY"] : groupBy });
  const [byDate, byModel, byApiKey] = await Promise.all([run("DAY", []), run("ALL", ["MODEL"]), run("ALL", ["API_KEY"])]);
  const only = (rows: RollupRow[]) => (currency ? rows.filter((r) => r.group.CURRENCY === currency) : rows);
  const answer = {
    workspace,
    window,
    computedAt: ctx.clock.now(),
    totals: sumMetrics(only(byDate.rows)),
    byDate: only(byDate.rows),
    byModel: only(byModel.rows),
    byApiKey: only(byApiKey.rows),
  };
  ctx.settings.analyticsCache.set(key, answer);
  return { ...answer, cached: false };
}

// ---- Usage by external user, project or workspace (source 002) ----------------------------------

export interface ResourceTotals {
  group: string | null;
  sandboxSeconds: Decimal;
  computerSeconds: Decimal;
  storageGbHours: Decimal;
  costUsd: Decimal;
}

/** Sandbox and computer vCPU-seconds, storage GB-hours and cost per group, most expensive first. */
export async function usageByGroup(
  ctx: RequestContext,
  target: WorkspaceTarget,
  query: WindowInput & { groupBy: "EXTERNAL_USER" | "EXTERNAL_PROJECT" | "WORKSPACE" },
): Promise<{ window: TimeWindow; groups: ResourceTotals[] }> {
  const rollup = await usageRollup(ctx, target, { ...query, granularity: "ALL", groupBy: [query.groupBy, "SKU"] });
  const skus = new Map((await ctx.db.prisma.sku.findMany({ select: { id: true, unit: true, resourceKind: true } })).map((s) => [s.id, s]));
  const groups = new Map<string | null, ResourceTotals>();
  for (const row of rollup.rows) {
    const key = row.group[query.groupBy] ?? null;
    const totals = groups.get(key) ?? { group: key, sandboxSeconds: new Decimal(0), computerSeconds: new Decimal(0), storageGbHours: new Decimal(0), costUsd: new Decimal(0) };
    const sku = skus.get(row.group.SKU ?? "");
    if (sku?.unit === "vCPU-Seconds" && sku.resourceKind === "SANDBOX") totals.sandboxSeconds = totals.sandboxSeconds.plus(row.quantity);
    if (sku?.unit === "vCPU-Seconds" && sku.resourceKind === "COMPUTER") totals.computerSeconds = totals.computerSeconds.plus(row.quantity);
    if (sku?.unit === "GB-Hours") totals.storageGbHours = totals.storageGbHours.plus(row.quantity);
    totals.costUsd = totals.costUsd.plus(row.costUsd);
    groups.set(key, totals);
  }
  return { window: rollup.window, groups: [...groups.values()].sort((a, b) => b.costUsd.comparedTo(a.costUsd)) };
}
