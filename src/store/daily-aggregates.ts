// SQL of the daily aggregate tables: usage and executions per calendar day in each workspace's own
// time zone, so that dashboards and range queries read a few rows per day instead of every charge.
// Writes upsert them in the transaction of the charge; rebuilds recompute a workspace after bulk
// loads. Rollup reads combine them with raw rows at the edges of a window in one statement.
import { z } from "zod";
import { col, parseRows, type RunSql } from "./rows.js";

const USAGE_METRICS = `"quantity", "amount", "costUsd", "credits", "eventCount", "promptTokens", "completionTokens",
  "cacheReadTokens", "cacheWriteTokens"`;

const USAGE_METRIC_SUMS = `SUM(u."units"), SUM(u."amount"), SUM(u."costUsd"), SUM(u."credits"), COUNT(*),
  COALESCE(SUM(u."promptTokens"), 0), COALESCE(SUM(u."completionTokens"), 0),
  COALESCE(SUM(u."cacheReadTokens"), 0), COALESCE(SUM(u."cacheWriteTokens"), 0)`;

/**
 * The two daily usage tables: every dimension, and (far fewer rows) without API key, external
 * user and external project. Each key column comes with the expression that fills it.
 */
const USAGE_TABLES = [
  {
    table: "UsageDailyRollup",
    keys: {
      workspaceId: `u."workspaceId"`, day: `(u."occurredAt" AT TIME ZONE w."timeZone")::date`, skuId: `u."skuId"`,
      model: `COALESCE(u."model", '')`, apiKeyId: `COALESCE(u."apiKeyId"::text, '')`, externalUserId: `COALESCE(u."externalUserId", '')`,
      externalProjectId: `COALESCE(u."externalProjectId", '')`, currency: `u."currency"`, resourceKind: `u."resourceKind"`,
    },
  },
  {
    table: "UsageDailyTotal",
    keys: {
      workspaceId: `u."workspaceId"`, day: `(u."occurredAt" AT TIME ZONE w."timeZone")::date`, skuId: `u."skuId"`,
      model: `COALESCE(u."model", '')`, currency: `u."currency"`, resourceKind: `u."resourceKind"`,
    },
  },
] as const;

function usageAggregateInsert({ table, keys }: (typeof USAGE_TABLES)[number], where: string, upsert: boolean): string {
  const keyNames = Object.keys(keys).map((k) => `"${k}"`).join(", ");
  const groups = Object.keys(keys).map((_, i) => i + 1).join(", ");
  const conflict = USAGE_METRICS.split(",").map((c) => c.trim()).map((c) => `${c} = "${table}".${c} + EXCLUDED.${c}`).join(", ");
  return `INSERT INTO "${table}" (${keyNames}, ${USAGE_METRICS})
    SELECT ${Object.values(keys).join(", ")}, ${USAGE_METRIC_SUMS}
    FROM "UsageRecord" u JOIN "Workspace" w ON w."id" = u."workspaceId"
    WHERE ${where}
    GROUP BY ${groups}
    ${upsert ? `ON CONFLICT (${keyNames}) DO UPDATE SET ${conflict}` : ""}`;
}

const UPSERT_USAGE_AGGREGATES = USAGE_TABLES.map((t) => usageAggregateInsert(t, `u.id = ANY($1::bigint[])`, true));

/** Adds usage records to both daily usage tables (two statements). */
export async function addUsageToAggregates(run: RunSql, usageRecordIds: bigint[]): Promise<void> {
  if (usageRecordIds.length === 0) return;
  for (const upsert of UPSERT_USAGE_AGGREGATES) await run(upsert, [usageRecordIds.map(String)]);
}

const executionAggregateSelect = (where: string) => `
SELECT e."workspaceId", (e."startedAt" AT TIME ZONE w."timeZone")::date, e."workflowId", e."model", e."trigger",
  COUNT(*), SUM(e."inputTokens"), SUM(e."outputTokens"), SUM(e."costUsd")
FROM "Execution" e JOIN "Workspace" w ON w."id" = e."workspaceId"
WHERE ${where}
GROUP BY 1, 2, 3, 4, 5`;

const EXECUTION_AGGREGATE_COLUMNS = `"workspaceId", "day", "workflowId", "model", "trigger", "executionCount", "inputTokens",
  "outputTokens", "costUsd"`;

const UPSERT_EXECUTION_AGGREGATES = `
INSERT INTO "ExecutionDailyRollup" (${EXECUTION_AGGREGATE_COLUMNS})
${executionAggregateSelect(`e.id = ANY($1::bigint[])`)}
ON CONFLICT ("workspaceId", "day", "workflowId", "model", "trigger")
DO UPDATE SET
  "executionCount" = "ExecutionDailyRollup"."executionCount" + EXCLUDED."executionCount",
  "inputTokens" = "ExecutionDailyRollup"."inputTokens" + EXCLUDED."inputTokens",
  "outputTokens" = "ExecutionDailyRollup"."outputTokens" + EXCLUDED."outputTokens",
  "costUsd" = "ExecutionDailyRollup"."costUsd" + EXCLUDED."costUsd"`;

/** Adds executions to their days' aggregates. */
export async function addExecutionsToAggregates(run: RunSql, executionIds: bigint[]): Promise<void> {
  if (executionIds.length > 0) await run(UPSERT_EXECUTION_AGGREGATES, [executionIds.map(String)]);
}

/** Recomputes every daily aggregate of a workspace. Run it inside a transaction. */
export async function rebuildAggregates(run: RunSql, workspaceId: string): Promise<void> {
  for (const table of USAGE_TABLES) {
    await run(`DELETE FROM "${table.table}" WHERE "workspaceId" = $1::uuid`, [workspaceId]);
    await run(usageAggregateInsert(table, `u."workspaceId" = $1::uuid`, false), [workspaceId]);
  }
  await run(`DELETE FROM "ExecutionDailyRollup" WHERE "workspaceId" = $1::uuid`, [workspaceId]);
  await run(`INSERT INTO "ExecutionDailyRollup" (${EXECUTION_AGGREGATE_COLUMNS}) ${executionAggregateSelect(`e."workspaceId" = $1::uuid`)}`, [workspaceId]);
}

// ---- Rollup reads -------------------------------------------------------------------------------

interface AggregateTable {
  table: string;
  dims: Record<string, string>;
  metrics: string;
}

interface SourceSql {
  raw: { table: string; time: string; dims: Record<string, string>; metrics: string };
  /** Daily tables, smallest first; a rollup reads the first that has every grouped dimension. */
  aggregates: AggregateTable[];
}

const USAGE_AGGREGATE_METRICS = `SUM("quantity") q, SUM("costUsd") c, SUM("credits") cr, SUM("eventCount") n, SUM("promptTokens") pt,
  SUM("completionTokens") ct, SUM("cacheReadTokens") crt, SUM("cacheWriteTokens") cwt`;

const SOURCES: Record<"USAGE" | "EXECUTIONS", SourceSql> = {
  USAGE: {
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
    aggregates: [
      {
        table: `"UsageDailyTotal"`,
        dims: {
          MODEL: `NULLIF("model", '')`, SKU: `"skuId"`, WORKSPACE: `"workspaceId"::text`, CURRENCY: `"currency"::text`,
          RESOURCE_KIND: `"resourceKind"::text`,
        },
        metrics: USAGE_AGGREGATE_METRICS,
      },
      {
        table: `"UsageDailyRollup"`,
        dims: {
          MODEL: `NULLIF("model", '')`, SKU: `"skuId"`, API_KEY: `NULLIF("apiKeyId", '')`, EXTERNAL_USER: `NULLIF("externalUserId", '')`,
          EXTERNAL_PROJECT: `NULLIF("externalProjectId", '')`, WORKSPACE: `"workspaceId"::text`, CURRENCY: `"currency"::text`,
          RESOURCE_KIND: `"resourceKind"::text`,
        },
        metrics: USAGE_AGGREGATE_METRICS,
      },
    ],
  },
  EXECUTIONS: {
    raw: {
      table: `"Execution"`,
      time: `"startedAt"`,
      dims: { WORKFLOW: `"workflowId"::text`, TRIGGER: `"trigger"`, MODEL: `"model"`, WORKSPACE: `"workspaceId"::text` },
      metrics: `COUNT(*) q, SUM("costUsd") c, 0 cr, COUNT(*) n, SUM("inputTokens") pt, SUM("outputTokens") ct, 0 crt, 0 cwt`,
    },
    aggregates: [
      {
        table: `"ExecutionDailyRollup"`,
        dims: { WORKFLOW: `"workflowId"::text`, TRIGGER: `"trigger"`, MODEL: `"model"`, WORKSPACE: `"workspaceId"::text` },
        metrics: `SUM("executionCount") q, SUM("costUsd") c, 0 cr, SUM("executionCount") n, SUM("inputTokens") pt,
          SUM("outputTokens") ct, 0 crt, 0 cwt`,
      },
    ],
  },
};

/** Dimensions each source can group by. */
export const ROLLUP_SOURCE_DIMENSIONS = { USAGE: Object.keys(SOURCES.USAGE.raw.dims), EXECUTIONS: Object.keys(SOURCES.EXECUTIONS.raw.dims) };

export interface RollupQuery {
  source: "USAGE" | "EXECUTIONS";
  workspaceId: string;
  timeZone: string;
  /** The calendar unit of buckets; null for one bucket over the whole window. */
  unit: "hour" | "day" | "week" | "month" | "quarter" | null;
  dims: string[];
  from: Date;
  to: Date;
  /** Whole local days (of the workspace's own zone) to read from the daily tables, if any. */
  days: { from: Date; to: Date; firstDay: string; endDay: string } | null;
}

const rollupRow = z.object({
  b: col.date(),
  q: col.decimal(),
  c: col.decimal(),
  cr: col.decimal(),
  n: col.count(),
  pt: col.bigint(),
  ct: col.bigint(),
  crt: col.bigint(),
  cwt: col.bigint(),
}).catchall(z.string().nullable());

export type RollupSqlRow = z.output<typeof rollupRow>;

/** Totals per bucket and group; group values come back as d0, d1, … in `dims` order. */
export async function readRollup(run: RunSql, q: RollupQuery): Promise<RollupSqlRow[]> {
  const sql = SOURCES[q.source];
  const params: unknown[] = [q.workspaceId];
  const param = (value: unknown) => `$${params.push(value)}`;
  // PostgreSQL must be able to type every parameter, so each is added only where it is used.
  const zone = once(() => param(q.timeZone));
  const start = once(() => `${param(q.from.toISOString())}::timestamptz`);
  const dims = q.dims.map((d, i) => ({ dimension: d, alias: `d${i}` }));
  const rawPart = (from: Date, to: Date) => {
    const bucket = q.unit === null ? start() : `date_trunc('${q.unit}', ${sql.raw.time} AT TIME ZONE ${zone()}) AT TIME ZONE ${zone()}`;
    const dimSql = dims.map(({ dimension, alias }) => `${sql.raw.dims[dimension]} AS ${alias}`);
    return `SELECT ${[`${bucket} AS b`, ...dimSql].join(", ")}, ${sql.raw.metrics} FROM ${sql.raw.table}
      WHERE "workspaceId" = $1::uuid AND ${sql.raw.time} >= ${param(from.toISOString())}::timestamptz
        AND ${sql.raw.time} < ${param(to.toISOString())}::timestamptz GROUP BY ${groupList(dims.length)}`;
  };
  const aggregate = sql.aggregates.find((table) => q.dims.every((d) => d in table.dims))!;
  const aggregatePart = (firstDay: string, endDay: string) => {
    const bucket = q.unit === null ? start() : `date_trunc('${q.unit}', "day"::timestamp) AT TIME ZONE ${zone()}`;
    const dimSql = dims.map(({ dimension, alias }) => `${aggregate.dims[dimension]} AS ${alias}`);
    return `SELECT ${[`${bucket} AS b`, ...dimSql].join(", ")}, ${aggregate.metrics} FROM ${aggregate.table}
      WHERE "workspaceId" = $1::uuid AND "day" >= ${param(firstDay)}::date AND "day" < ${param(endDay)}::date
      GROUP BY ${groupList(dims.length)}`;
  };

  const parts: string[] = [];
  if (q.days) {
    if (q.from < q.days.from) parts.push(rawPart(q.from, q.days.from));
    parts.push(aggregatePart(q.days.firstDay, q.days.endDay));
    if (q.days.to < q.to) parts.push(rawPart(q.days.to, q.to));
  } else {
    parts.push(rawPart(q.from, q.to));
  }
  const aliases = dims.map((d) => d.alias);
  return parseRows(rollupRow, await run(
    `SELECT ${["b", ...aliases].join(", ")}, COALESCE(SUM(q), 0) q, COALESCE(SUM(c), 0) c, COALESCE(SUM(cr), 0) cr, COALESCE(SUM(n), 0)::bigint n,
       COALESCE(SUM(pt), 0)::bigint pt, COALESCE(SUM(ct), 0)::bigint ct, COALESCE(SUM(crt), 0)::bigint crt, COALESCE(SUM(cwt), 0)::bigint cwt
     FROM (${parts.join(" UNION ALL ")}) parts
     GROUP BY ${groupList(aliases.length)}
     ORDER BY b, SUM(c) DESC`,
    params,
  ));
}

function once(make: () => string): () => string {
  let value: string | undefined;
  return () => (value ??= make());
}

function groupList(dimensionCount: number): string {
  return Array.from({ length: dimensionCount + 1 }, (_, i) => String(i + 1)).join(", ");
}
