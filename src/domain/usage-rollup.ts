// Usage (or execution) totals by calendar bucket and dimension, in any IANA time zone. Whole
// local days in the workspace's own zone come from the daily rollup tables; partial days at the
// edges of a window, hourly buckets and other zones read the raw rows. Both parts meet in one
// SQL statement, so totals are exact either way.
import type { Actor } from "../auth/actor.js";
import type { PrismaClient } from "../db/client.js";
import type { Workspace } from "../db/generated/client.js";
import { assertWorkspaceScope } from "./access.js";
import { ValidationError } from "./errors.js";
import { Decimal } from "./ledger.js";
import { assertTimeZone, resolveWindow, startOfLocalDay, type Granularity, type Period, type TimeWindow } from "./time.js";
import { DateTime } from "luxon";

export const ROLLUP_DIMENSIONS = [
  "MODEL", "SKU", "API_KEY", "WORKFLOW", "EXTERNAL_USER", "EXTERNAL_PROJECT", "WORKSPACE", "CURRENCY", "RESOURCE_KIND", "TRIGGER",
] as const;
export type RollupDimension = (typeof ROLLUP_DIMENSIONS)[number];

/** Dimensions that only executions have; grouping by one of them rolls up executions. */
const EXECUTION_ONLY: RollupDimension[] = ["WORKFLOW", "TRIGGER"];
const EXECUTION_DIMENSIONS: RollupDimension[] = ["WORKFLOW", "TRIGGER", "MODEL", "WORKSPACE"];

export interface UsageRollupArgs {
  period?: Period | null;
  from?: Date | null;
  to?: Date | null;
  granularity?: Granularity | null;
  groupBy?: RollupDimension[] | null;
  timeZone?: string | null;
  /** What to roll up; grouping by WORKFLOW or TRIGGER implies EXECUTIONS. */
  source?: "USAGE" | "EXECUTIONS" | null;
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
  /** Whether whole days were read from the daily rollup table. */
  usedDailyRollup: boolean;
}

const MAX_WINDOW_DAYS = 366;
const MAX_HOURLY_DAYS = 31;

const UNITS: Record<Exclude<Granularity, "ALL">, string> = { HOUR: "hour", DAY: "day", WEEK: "week", MONTH: "month", QUARTER: "quarter" };

interface RollupTable {
  table: string;
  dims: Record<string, string>;
  metrics: string;
}

interface SourceSql {
  raw: { table: string; time: string; dims: Record<string, string>; metrics: string };
  /** Daily tables, smallest first; a rollup reads the first that has every grouped dimension. */
  rollups: RollupTable[];
}

const USAGE_ROLLUP_METRICS = `SUM("quantity") q, SUM("costUsd") c, SUM("credits") cr, SUM("eventCount") n, SUM("promptTokens") pt,
  SUM("completionTokens") ct, SUM("cacheReadTokens") crt, SUM("cacheWriteTokens") cwt`;

const USAGE_SQL: SourceSql = {
  raw: {
    table: `"UsageRecord"`,
    time: `"occurredAt"`,
    dims: {
      MODEL: `"model"`, SKU: `"skuId"`, API_KEY: `"apiKeyId"::text`, EXTERNAL_USER: `"externalUserId"`,
      EXTERNAL_PROJECT: `"externalProjectId"`, WORKSPACE: `"workspaceId"::text`, CURRENCY: `"currency"::text`,
      RESOURCE_KIND: `"resourceKind"::text`,
    },
    metrics: `SUM("units") q, SUM("costUsd") c, SUM("credits") cr, COUNT(*) n, COALESCE(SUM("promptTokens"), 0) pt,
      COALESCE(SUM("completionTokens"), 0) ct, COALESCE(SUM("cacheReadTokens"), 0) crt, COALESCE(SUM("cacheWriteTokens"), 0) cwt`,
  },
  rollups: [
    {
      table: `"UsageDailyTotal"`,
      dims: {
        MODEL: `NULLIF("model", '')`, SKU: `"skuId"`, WORKSPACE: `"workspaceId"::text`, CURRENCY: `"currency"::text`,
        RESOURCE_KIND: `"resourceKind"::text`,
      },
      metrics: USAGE_ROLLUP_METRICS,
    },
    {
      table: `"UsageDailyRollup"`,
      dims: {
        MODEL: `NULLIF("model", '')`, SKU: `"skuId"`, API_KEY: `NULLIF("apiKeyId", '')`, EXTERNAL_USER: `NULLIF("externalUserId", '')`,
        EXTERNAL_PROJECT: `NULLIF("externalProjectId", '')`, WORKSPACE: `"workspaceId"::text`, CURRENCY: `"currency"::text`,
        RESOURCE_KIND: `"resourceKind"::text`,
      },
      metrics: USAGE_ROLLUP_METRICS,
    },
  ],
};

const EXECUTION_SQL: SourceSql = {
  raw: {
    table: `"Execution"`,
    time: `"startedAt"`,
    dims: { WORKFLOW: `"workflowId"::text`, TRIGGER: `"trigger"`, MODEL: `"model"`, WORKSPACE: `"workspaceId"::text` },
    metrics: `COUNT(*) q, SUM("costUsd") c, 0 cr, COUNT(*) n, SUM("inputTokens") pt, SUM("outputTokens") ct, 0 crt, 0 cwt`,
  },
  rollups: [
    {
      table: `"ExecutionDailyRollup"`,
      dims: { WORKFLOW: `"workflowId"::text`, TRIGGER: `"trigger"`, MODEL: `"model"`, WORKSPACE: `"workspaceId"::text` },
      metrics: `SUM("executionCount") q, SUM("costUsd") c, 0 cr, SUM("executionCount") n, SUM("inputTokens") pt,
        SUM("outputTokens") ct, 0 crt, 0 cwt`,
    },
  ],
};

export async function usageRollup(
  prisma: PrismaClient,
  actor: Actor,
  workspace: Workspace,
  args: UsageRollupArgs,
  now = new Date(),
): Promise<UsageRollup> {
  assertWorkspaceScope(actor, workspace.id, "read:billing");
  const timeZone = assertTimeZone(args.timeZone ?? workspace.timeZone);
  const granularity = args.granularity ?? "DAY";
  const groupBy = [...new Set(args.groupBy ?? [])];
  const window = resolveWindow(args, timeZone, { maxDays: granularity === "HOUR" ? MAX_HOURLY_DAYS : MAX_WINDOW_DAYS, now });
  const executions = args.source === "EXECUTIONS" || groupBy.some((d) => EXECUTION_ONLY.includes(d));
  if (args.source === "USAGE" && executions) {
    throw ValidationError.single("groupBy", "WORKFLOW and TRIGGER group executions; use source EXECUTIONS");
  }
  if (executions) {
    const invalid = groupBy.filter((d) => !EXECUTION_DIMENSIONS.includes(d));
    if (invalid.length) {
      throw ValidationError.single("groupBy", `WORKFLOW and TRIGGER group executions, which cannot also be grouped by ${invalid.join(", ")}`);
    }
  }
  const sql = executions ? EXECUTION_SQL : USAGE_SQL;

  // Whole local days of the workspace's own zone can come from the daily rollup.
  const days = granularity !== "HOUR" && timeZone === workspace.timeZone ? wholeDays(window, timeZone) : null;
  const params: unknown[] = [workspace.id];
  const param = (value: unknown) => `$${params.push(value)}`;
  // PostgreSQL must be able to type every parameter, so each is added only where it is used.
  const zone = once(() => param(timeZone));
  const start = once(() => `${param(window.from.toISOString())}::timestamptz`);
  const dims = groupBy.map((d, i) => ({ dimension: d, alias: `d${i}` }));
  const rawPart = (from: Date, to: Date) => {
    const bucket = granularity === "ALL" ? start() : `date_trunc('${UNITS[granularity]}', ${sql.raw.time} AT TIME ZONE ${zone()}) AT TIME ZONE ${zone()}`;
    const dimSql = dims.map(({ dimension, alias }) => `${sql.raw.dims[dimension]} AS ${alias}`);
    return `SELECT ${[`${bucket} AS b`, ...dimSql].join(", ")}, ${sql.raw.metrics} FROM ${sql.raw.table}
      WHERE "workspaceId" = $1::uuid AND ${sql.raw.time} >= ${param(from.toISOString())}::timestamptz
        AND ${sql.raw.time} < ${param(to.toISOString())}::timestamptz GROUP BY ${groupList(dims.length)}`;
  };
  const rollup = sql.rollups.find((table) => groupBy.every((d) => d in table.dims))!;
  const rollupPart = (firstDay: string, endDay: string) => {
    const bucket = granularity === "ALL" ? start() : `date_trunc('${UNITS[granularity]}', "day"::timestamp) AT TIME ZONE ${zone()}`;
    const dimSql = dims.map(({ dimension, alias }) => `${rollup.dims[dimension]} AS ${alias}`);
    return `SELECT ${[`${bucket} AS b`, ...dimSql].join(", ")}, ${rollup.metrics} FROM ${rollup.table}
      WHERE "workspaceId" = $1::uuid AND "day" >= ${param(firstDay)}::date AND "day" < ${param(endDay)}::date
      GROUP BY ${groupList(dims.length)}`;
  };

  const parts: string[] = [];
  if (days) {
    if (window.from < days.from) parts.push(rawPart(window.from, days.from));
    parts.push(rollupPart(days.firstDay, days.endDay));
    if (days.to < window.to) parts.push(rawPart(days.to, window.to));
  } else {
    parts.push(rawPart(window.from, window.to));
  }
  const aliases = dims.map((d) => d.alias);
  const rows = await prisma.$queryRawUnsafe<Record<string, unknown>[]>(
    `SELECT ${["b", ...aliases].join(", ")}, SUM(q) q, SUM(c) c, SUM(cr) cr, SUM(n)::bigint n, SUM(pt)::bigint pt,
       SUM(ct)::bigint ct, SUM(crt)::bigint crt, SUM(cwt)::bigint cwt
     FROM (${parts.join(" UNION ALL ")}) parts
     GROUP BY ${groupList(aliases.length)}
     ORDER BY b, SUM(c) DESC`,
    ...params,
  );

  const result = rows.map((row) => ({
    bucketStart: granularity === "ALL" ? null : (row.b as Date),
    group: Object.fromEntries(dims.map(({ dimension, alias }) => [dimension, (row[alias] as string | null) ?? null])),
    ...metricsOf(row),
  }));
  return {
    source: executions ? "EXECUTIONS" : "USAGE",
    window,
    timeZone,
    granularity,
    groupBy,
    rows: result,
    totals: sumMetrics(result),
    usedDailyRollup: days !== null,
  };
}

function once(make: () => string): () => string {
  let value: string | undefined;
  return () => (value ??= make());
}

function groupList(dimensionCount: number): string {
  return Array.from({ length: dimensionCount + 1 }, (_, i) => String(i + 1)).join(", ");
}

/** The whole local days inside a window, or null when there are none. */
function wholeDays(window: TimeWindow, timeZone: string): { from: Date; to: Date; firstDay: string; endDay: string } | null {
  const firstStart = startOfLocalDay(window.from, timeZone);
  const from = firstStart.getTime() === window.from.getTime()
    ? firstStart
    : DateTime.fromJSDate(firstStart, { zone: timeZone }).plus({ days: 1 }).toJSDate();
  const to = startOfLocalDay(window.to, timeZone);
  if (from >= to) return null;
  const date = (d: Date) => DateTime.fromJSDate(d, { zone: timeZone }).toISODate()!;
  return { from, to, firstDay: date(from), endDay: date(to) };
}

function metricsOf(row: Record<string, unknown>): RollupMetrics {
  return {
    quantity: new Decimal((row.q as Decimal | null) ?? 0),
    costUsd: new Decimal((row.c as Decimal | null) ?? 0),
    credits: new Decimal((row.cr as Decimal | null) ?? 0),
    eventCount: Number(row.n ?? 0),
    promptTokens: BigInt((row.pt as bigint | null) ?? 0),
    completionTokens: BigInt((row.ct as bigint | null) ?? 0),
    cacheReadTokens: BigInt((row.crt as bigint | null) ?? 0),
    cacheWriteTokens: BigInt((row.cwt as bigint | null) ?? 0),
  };
}

export function sumMetrics(rows: RollupMetrics[]): RollupMetrics {
  return rows.reduce<RollupMetrics>(
    (sum, row) => ({
      quantity: sum.quantity.plus(row.quantity),
      costUsd: sum.costUsd.plus(row.costUsd),
      credits: sum.credits.plus(row.credits),
      eventCount: sum.eventCount + row.eventCount,
      promptTokens: sum.promptTokens + row.promptTokens,
      completionTokens: sum.completionTokens + row.completionTokens,
      cacheReadTokens: sum.cacheReadTokens + row.cacheReadTokens,
      cacheWriteTokens: sum.cacheWriteTokens + row.cacheWriteTokens,
    }),
    { quantity: new Decimal(0), costUsd: new Decimal(0), credits: new Decimal(0), eventCount: 0, promptTokens: 0n, completionTokens: 0n, cacheReadTokens: 0n, cacheWriteTokens: 0n },
  );
}
