// SQL of the aggregate tables: usage and executions per calendar day in each workspace's own time
// zone, and usage per month and per UTC hour too, so that dashboards and range queries read a few
// rows per day (or month, or hour at the edges) instead of every charge.
// Writes upsert them in the transaction of the charge; rebuilds recompute a workspace after bulk
// loads. Rollup reads combine them with raw rows at the edges of a window in one statement.
import { arrayLiteral } from "./bulk-insert.js";
import { rebuildMonthToDate } from "./executions.js";
import { col, parseRows, type RowOf, type RunSql } from "./rows.js";

const TOKENS = ["promptTokens", "completionTokens", "cacheReadTokens", "cacheWriteTokens"];
const USAGE_METRICS = ["quantity", "amount", "costUsd", "credits", "eventCount", ...TOKENS];

/**
 * Records at the finest grain any usage table keeps: each one's local day and UTC hour (which a
 * half-hour zone does not nest) and every dimension. A batch's records are grouped so once, and
 * each table groups those few rows by its own keys, where it grouped every record (three times for
 * the dimension tables): the statement takes about half as long for the bench's batches of 1,000
 * records (medians 14.0 → 7.5 and 16.1 → 9.0 ms). A rebuild takes the records one by one, each
 * table scanning them itself: a year of a bulk workspace's records rarely shares a grain, and
 * grouping its 1,000,000 records first took 61–74 s instead of 44–51.
 */
function usageAtFinestGrain(where: string, grouped: boolean): string {
  const metrics = grouped
    ? `SUM(u."units"), SUM(u."amount"), SUM(u."costUsd"), SUM(u."credits"), COUNT(*), ${TOKENS.map((t) => `SUM(u."${t}")`).join(", ")}`
    : `u."units", u."amount", u."costUsd", u."credits", 1, ${TOKENS.map((t) => `u."${t}"`).join(", ")}`;
  return `SELECT u."workspaceId", (u."occurredAt" AT TIME ZONE w."timeZone")::date, date_trunc('hour', u."occurredAt", 'UTC'),
      u."skuId", COALESCE(u."model", ''), COALESCE(u."apiKeyId"::text, ''), COALESCE(u."externalUserId", ''),
      COALESCE(u."externalProjectId", ''), u."currency", u."resourceKind", ${metrics}
    FROM "UsageRecord" u JOIN "Workspace" w ON w."id" = u."workspaceId"
    WHERE ${where}
    ${grouped ? "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10" : ""}`;
}

const FINEST_GRAIN_COLUMNS = `"workspaceId", "day", "hour", "skuId", "model", "apiKeyId", "externalUserId", "externalProjectId", "currency", "resourceKind", ${USAGE_METRICS.map((m) => `"${m}"`).join(", ")}`;

// Periods of the finest grain, f: the local month is its local day's (a date as timestamp, not
// timestamptz, so that the session's zone plays no part).
const LOCAL_MONTH = `date_trunc('month', f."day"::timestamp)::date`;

/** Each record counts once under each of the three high-cardinality dimensions. */
const EACH_DIMENSION = `CROSS JOIN LATERAL (VALUES ('API_KEY'::"UsageDimension", f."apiKeyId"), ('EXTERNAL_USER', f."externalUserId"),
  ('EXTERNAL_PROJECT', f."externalProjectId")) d ("dimension", "value")`;

/**
 * The usage tables: per day, every dimension; per day, month and UTC hour, without API key,
 * external user and external project (far fewer rows); and per day, month and UTC hour, each of
 * those three alone. Each key column comes with the expression that fills it from the finest grain.
 */
const USAGE_TABLES = [
  {
    table: "UsageDailyRollup",
    keys: {
      workspaceId: `f."workspaceId"`, day: `f."day"`, skuId: `f."skuId"`, model: `f."model"`, apiKeyId: `f."apiKeyId"`,
      externalUserId: `f."externalUserId"`, externalProjectId: `f."externalProjectId"`, currency: `f."currency"`, resourceKind: `f."resourceKind"`,
    },
    join: "",
  },
  ...([["UsageDailyTotal", "day", `f."day"`], ["UsageMonthlyTotal", "month", LOCAL_MONTH], ["UsageHourlyTotal", "hour", `f."hour"`]] as const).map(([table, period, local]) => ({
    table,
    keys: { workspaceId: `f."workspaceId"`, [period]: local, skuId: `f."skuId"`, model: `f."model"`, currency: `f."currency"`, resourceKind: `f."resourceKind"` },
    join: "",
  })),
  ...([["UsageDailyByDimension", "day", `f."day"`], ["UsageMonthlyByDimension", "month", LOCAL_MONTH], ["UsageHourlyByDimension", "hour", `f."hour"`]] as const).map(([table, period, local]) => ({
    table,
    keys: { workspaceId: `f."workspaceId"`, dimension: `d."dimension"`, [period]: local, value: `d."value"`, currency: `f."currency"` },
    join: EACH_DIMENSION,
  })),
];

/** A metric's total over rows of the finest grain (a token count that no record gave is 0). */
const finestSum = (metric: string) => (TOKENS.includes(metric) ? `COALESCE(SUM(f."${metric}"), 0)` : `SUM(f."${metric}")`);

/**
 * The finest grain's usage (CTE `fine`) by the table's keys, added to it or (not `upsert`) inserted
 * in key order, day after day as live writes add them. In hash order, a rebuild left the 30 days
 * that the bench's dashboard reads on 345 of its daily table's pages instead of 37 (the rollup
 * statement 0.91 ms instead of 0.62).
 */
function usageAggregateInsert({ table, keys, join }: (typeof USAGE_TABLES)[number], upsert: boolean): string {
  const keyNames = Object.keys(keys).map((k) => `"${k}"`).join(", ");
  const groups = Object.keys(keys).map((_, i) => i + 1).join(", ");
  const conflict = USAGE_METRICS.map((m) => `"${m}" = "${table}"."${m}" + EXCLUDED."${m}"`).join(", ");
  return `INSERT INTO "${table}" (${keyNames}, ${USAGE_METRICS.map((m) => `"${m}"`).join(", ")})
    SELECT ${Object.values(keys).join(", ")}, ${USAGE_METRICS.map(finestSum).join(", ")}
    FROM fine f ${join}
    GROUP BY ${groups}
    ${upsert ? `ON CONFLICT (${keyNames}) DO UPDATE SET ${conflict}` : `ORDER BY ${groups}`}`;
}

/** One statement for every table: a batch's records added (grouped once, in one round trip), or a workspace's inserted anew. */
const usageAggregatesSql = (where: string, batch: boolean) =>
  `WITH fine (${FINEST_GRAIN_COLUMNS}) AS ${batch ? "MATERIALIZED" : "NOT MATERIALIZED"} (${usageAtFinestGrain(where, batch)}),
  ${USAGE_TABLES.map((t, i) => `t${i} AS (${usageAggregateInsert(t, batch)})`).join(",\n  ")}
  SELECT 1`;

const UPSERT_USAGE_AGGREGATES = usageAggregatesSql(`u.id = ANY($1::bigint[])`, true);

/** Adds usage records to the usage tables. */
export async function addUsageToAggregates(run: RunSql, usageRecordIds: bigint[]): Promise<void> {
  if (usageRecordIds.length > 0) await run(UPSERT_USAGE_AGGREGATES, [arrayLiteral(usageRecordIds)]);
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

/**
 * Recomputes every aggregate table (daily, monthly, hourly) of a workspace, and its executions'
 * running monthly totals. Run it inside a transaction.
 */
export async function rebuildAggregates(run: RunSql, workspaceId: string): Promise<void> {
  for (const { table } of USAGE_TABLES) await run(`DELETE FROM "${table}" WHERE "workspaceId" = $1::uuid`, [workspaceId]);
  await run(usageAggregatesSql(`u."workspaceId" = $1::uuid`, false), [workspaceId]);
  await run(`DELETE FROM "ExecutionDailyRollup" WHERE "workspaceId" = $1::uuid`, [workspaceId]);
  await run(`INSERT INTO "ExecutionDailyRollup" (${EXECUTION_AGGREGATE_COLUMNS}) ${executionAggregateSelect(`e."workspaceId" = $1::uuid`)} ORDER BY 1, 2, 3, 4, 5`, [workspaceId]);
  await rebuildMonthToDate(run, workspaceId);
}

// ---- Rollup reads -------------------------------------------------------------------------------

/** The metrics a rollup sums, by their column alias: quantity, cost, credits, count and tokens. */
export const ROLLUP_METRIC_COLUMNS = ["q", "c", "cr", "n", "pt", "ct", "crt", "cwt"] as const;
export type RollupMetricColumn = (typeof ROLLUP_METRIC_COLUMNS)[number];
type MetricSql = Record<RollupMetricColumn, string>;

interface AggregateTable {
  table: string;
  /** The same totals by month, keyed by "month" instead of "day". */
  monthly?: string;
  /** The same totals by UTC hour, keyed by "hour" (its first instant). */
  hourly?: string;
  /** Which of the table's rows it holds, if not all. */
  where?: string;
  dims: Record<string, string>;
  metrics: MetricSql;
}

/** The rows of UsageDailyByDimension for one dimension, which can be grouped by it, currency and workspace. */
const byDimension = (dimension: "API_KEY" | "EXTERNAL_USER" | "EXTERNAL_PROJECT"): AggregateTable => ({
  table: `"UsageDailyByDimension"`,
  monthly: `"UsageMonthlyByDimension"`,
  hourly: `"UsageHourlyByDimension"`,
  where: `"dimension" = '${dimension}'`,
  dims: { [dimension]: `NULLIF("value", '')`, WORKSPACE: `"workspaceId"::text`, CURRENCY: `"currency"::text` },
  metrics: USAGE_AGGREGATE_METRICS,
});

interface SourceSql {
  raw: { table: string; time: string; dims: Record<string, string>; metrics: MetricSql };
  /** Daily tables, smallest first; a rollup reads the first that has every grouped dimension (and its monthly and hourly twins, if any). */
  aggregates: AggregateTable[];
}

const USAGE_AGGREGATE_METRICS: MetricSql = {
  q: `SUM("quantity")`, c: `SUM("costUsd")`, cr: `SUM("credits")`, n: `SUM("eventCount")`, pt: `SUM("promptTokens")`,
  ct: `SUM("completionTokens")`, crt: `SUM("cacheReadTokens")`, cwt: `SUM("cacheWriteTokens")`,
};

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
      metrics: {
        q: `SUM("units")`, c: `SUM("costUsd")`, cr: `SUM("credits")`, n: `COUNT(*)`, pt: `COALESCE(SUM("promptTokens"), 0)`,
        ct: `COALESCE(SUM("completionTokens"), 0)`, crt: `COALESCE(SUM("cacheReadTokens"), 0)`, cwt: `COALESCE(SUM("cacheWriteTokens"), 0)`,
      },
    },
    aggregates: [
      {
        table: `"UsageDailyTotal"`,
        monthly: `"UsageMonthlyTotal"`,
        hourly: `"UsageHourlyTotal"`,
        dims: {
          MODEL: `NULLIF("model", '')`, SKU: `"skuId"`, WORKSPACE: `"workspaceId"::text`, CURRENCY: `"currency"::text`,
          RESOURCE_KIND: `"resourceKind"::text`,
        },
        metrics: USAGE_AGGREGATE_METRICS,
      },
      byDimension("API_KEY"),
      byDimension("EXTERNAL_USER"),
      byDimension("EXTERNAL_PROJECT"),
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
      metrics: { q: `COUNT(*)`, c: `SUM("costUsd")`, cr: `0`, n: `COUNT(*)`, pt: `SUM("inputTokens")`, ct: `SUM("outputTokens")`, crt: `0`, cwt: `0` },
    },
    aggregates: [
      {
        table: `"ExecutionDailyRollup"`,
        dims: { WORKFLOW: `"workflowId"::text`, TRIGGER: `"trigger"`, MODEL: `"model"`, WORKSPACE: `"workspaceId"::text` },
        metrics: {
          q: `SUM("executionCount")`, c: `SUM("costUsd")`, cr: `0`, n: `SUM("executionCount")`, pt: `SUM("inputTokens")`,
          ct: `SUM("outputTokens")`, crt: `0`, cwt: `0`,
        },
      },
    ],
  },
};

/** Dimensions each source can group by. */
export const ROLLUP_SOURCE_DIMENSIONS = { USAGE: Object.keys(SOURCES.USAGE.raw.dims), EXECUTIONS: Object.keys(SOURCES.EXECUTIONS.raw.dims) };

/** Local dates from `first` up to before `end` (YYYY-MM-DD). */
export interface PeriodRange {
  first: string;
  end: string;
}

/** Usage records from `from` to before `to`; of them, the whole UTC `hours` that lie in one bucket, which the hourly tables can stand for. */
export interface RowRange {
  from: Date;
  to: Date;
  hours?: { from: Date; to: Date };
}

export interface RollupQuery {
  source: "USAGE" | "EXECUTIONS";
  workspaceId: string;
  timeZone: string;
  /** The calendar unit of buckets; null for one bucket over the whole window. */
  unit: "hour" | "day" | "week" | "month" | "quarter" | null;
  dims: string[];
  /** The window's start: the bucket of a rollup without unit. */
  from: Date;
  /**
   * Local days (of `days.zone`) to read from the daily tables, each in the bucket of its first
   * instant or, if `late`, its last; of them, the whole `months` (first days of months) whose days
   * all share one bucket, to read from the monthly tables where the grouping has one.
   */
  days: { zone: string; firstDay: string; endDay: string; late: string[]; months: PeriodRange | null } | null;
  /** Ranges to read from raw rows. */
  raw: RowRange[];
  /** Raw rows that a day's aggregate put in the bucket of `owner`, to move to their own bucket. */
  moves: (RowRange & { owner: Date })[];
  /** Raw rows of days read from the daily tables that lie outside the window, to take away from their own bucket. */
  subtract: RowRange[];
  /** The metrics to sum. The count and cost always are: rows whose count nets to 0 (all moved away) are dropped, and rows come highest cost first. */
  metrics: readonly RollupMetricColumn[];
}

/** The type of each metric's total. */
const METRIC_TOTALS: Record<RollupMetricColumn, string> = { q: "", c: "", cr: "", n: "::bigint", pt: "::bigint", ct: "::bigint", crt: "::bigint", cwt: "::bigint" };

const metricColumns = {
  q: col.decimal(),
  c: col.decimal(),
  cr: col.decimal(),
  n: col.count(),
  pt: col.bigint(),
  ct: col.bigint(),
  crt: col.bigint(),
  cwt: col.bigint(),
};

/** A rollup's bucket, the metrics it summed (the others absent), and its group values as d0, d1, … */
export type RollupSqlRow = { b: Date } & Partial<RowOf<typeof metricColumns>> & Record<`d${number}`, string | null>;

/** Totals per bucket and group; group values come back as d0, d1, … in `dims` order. */
export async function readRollup(run: RunSql, q: RollupQuery): Promise<RollupSqlRow[]> {
  const sql = SOURCES[q.source];
  const params: unknown[] = [q.workspaceId];
  const param = (value: unknown) => `$${params.push(value)}`;
  // PostgreSQL must be able to type every parameter, so each is added only where it is used.
  const zone = once(() => param(q.timeZone));
  const start = once(() => `${param(q.from.toISOString())}::timestamptz`);
  const bucketOf = (instant: string) => (q.unit === null ? start() : `date_trunc('${q.unit}', ${instant} AT TIME ZONE ${zone()}) AT TIME ZONE ${zone()}`);
  const dims = q.dims.map((d, i) => ({ dimension: d, alias: `d${i}` }));
  // Summing only what was asked for: a year by external user sums 37,000 aggregate rows.
  const metrics = ROLLUP_METRIC_COLUMNS.filter((m) => m === "n" || m === "c" || q.metrics.includes(m));
  const sums = (sql: MetricSql, sign = "") => metrics.map((m) => `${sign}${sql[m]} ${m}`).join(", ");
  /** The bucket of an instant (a parameter only where the bucket uses it). */
  const bucketAt = (instant: Date) => (q.unit === null ? start() : bucketOf(`${param(instant.toISOString())}::timestamptz`));
  /** The bucket of every row of a range that lies in one (one with whole hours: withWholeHours), computed once; else null. */
  const bucketOfRange = (range: RowRange) => (range.hours ? bucketAt(range.from) : null);
  const rawPart = (range: RowRange, sign = "", bucket: string | null = null) => {
    const dimSql = dims.map(({ dimension, alias }) => `${sql.raw.dims[dimension]} AS ${alias}`);
    return `SELECT ${[`${bucket ?? bucketOf(sql.raw.time)} AS b`, ...dimSql].join(", ")}, ${sums(sql.raw.metrics, sign)} FROM ${sql.raw.table}
      WHERE "workspaceId" = $1::uuid AND ${sql.raw.time} >= ${param(range.from.toISOString())}::timestamptz
        AND ${sql.raw.time} < ${param(range.to.toISOString())}::timestamptz GROUP BY ${groupList(dims.length)}`;
  };
  const aggregate = sql.aggregates.find((table) => q.dims.every((d) => d in table.dims))!;
  /** Periods (days, or months of the monthly twin) from `first` to before `end`, each in its bucket. */
  const aggregatePart = (days: NonNullable<RollupQuery["days"]>, { first, end }: PeriodRange, period: "day" | "month") => {
    const [dayZone, firstDay, endDay] = [once(() => param(days.zone)), once(() => param(first)), once(() => param(end))];
    const dimSql = dims.map(({ dimension, alias }) => `${aggregate.dims[dimension]} AS ${alias}`);
    const filters = [`a."workspaceId" = $1::uuid`, `a."${period}" >= ${firstDay()}::date`, `a."${period}" < ${endDay()}::date`, ...(aggregate.where ? [aggregate.where] : [])];
    const table = period === "day" ? aggregate.table : aggregate.monthly;
    // One bucket for the whole window (the dashboard's): no period needs its own, so no join
    // (a third of the statement's planning and execution).
    if (q.unit === null) return `SELECT ${[`${start()} AS b`, ...dimSql].join(", ")}, ${sums(aggregate.metrics)} FROM ${table} a WHERE ${filters.join(" AND ")} GROUP BY ${groupList(dims.length)}`;
    // A month's bucket is that of its first day: the plan takes only months whose days share one.
    const firstInstant = () => `("day"::date::timestamp AT TIME ZONE ${dayZone()})`;
    const lastInstant = () => `(("day"::date + 1)::timestamp AT TIME ZONE ${dayZone()}) - interval '1 microsecond'`;
    // In the days' own zone a day's bucket is that of its date.
    const bucket = days.zone === q.timeZone && !days.late.length ? `date_trunc('${q.unit}', "day"::date::timestamp) AT TIME ZONE ${zone()}`
      : bucketOf(days.late.length ? `CASE WHEN "day"::date = ANY(${param(arrayLiteral(days.late))}::date[]) THEN ${lastInstant()} ELSE ${firstInstant()} END` : firstInstant());
    // Each period's bucket is computed once and joined to its rows: zone arithmetic per row costs
    // more than the scan. OFFSET 0 keeps PostgreSQL from moving the arithmetic back above the join.
    const buckets = `SELECT "day"::date AS "day", ${bucket} AS b
      FROM generate_series(${firstDay()}::date::timestamp, ${endDay()}::date::timestamp - interval '1 ${period}', interval '1 ${period}') AS s ("day") OFFSET 0`;
    return `SELECT ${["m.b", ...dimSql].join(", ")}, ${sums(aggregate.metrics)} FROM ${table} a
      JOIN (${buckets}) m ON m."day" = a."${period}"
      WHERE ${filters.join(" AND ")} GROUP BY ${groupList(dims.length)}`;
  };
  /** The whole months from the monthly twin, where the table has one, and the other days from the daily table. */
  const aggregateParts = (days: NonNullable<RollupQuery["days"]>) => {
    const months = aggregate.monthly ? days.months : null;
    if (!months) return [aggregatePart(days, { first: days.firstDay, end: days.endDay }, "day")];
    return [
      ...(days.firstDay < months.first ? [aggregatePart(days, { first: days.firstDay, end: months.first }, "day")] : []),
      aggregatePart(days, months, "month"),
      ...(months.end < days.endDay ? [aggregatePart(days, { first: months.end, end: days.endDay }, "day")] : []),
    ];
  };
  /** A range cut into its whole hours, read from the hourly twin where the plan gives them and the table has one, and the raw rows around them. */
  const pieces = (range: RowRange): { raw: RowRange[]; hours: RowRange | null } => {
    const hours = aggregate.hourly ? range.hours : undefined;
    if (!hours) return { raw: [range], hours: null };
    return {
      raw: [...(range.from < hours.from ? [{ from: range.from, to: hours.from }] : []), ...(hours.to < range.to ? [{ from: hours.to, to: range.to }] : [])],
      hours,
    };
  };
  /** A range's rows: its whole hours from the hourly twin, the rest raw. */
  const rangePart = (range: RowRange, sign = "") => {
    // Zone arithmetic per row cost more than reading the row: a range in one bucket has it once.
    const bucket = bucketOfRange(range);
    const { raw, hours } = pieces(range);
    const dimSql = dims.map(({ dimension, alias }) => `${aggregate.dims[dimension]} AS ${alias}`);
    const hourly = hours && [`"workspaceId" = $1::uuid`, `"hour" >= ${param(hours.from.toISOString())}::timestamptz`, `"hour" < ${param(hours.to.toISOString())}::timestamptz`, ...(aggregate.where ? [aggregate.where] : [])];
    return [
      ...raw.map((piece) => rawPart(piece, sign, bucket)),
      ...(hourly ? [`SELECT ${[`${bucket} AS b`, ...dimSql].join(", ")}, ${sums(aggregate.metrics, sign)} FROM ${aggregate.hourly}
        WHERE ${hourly.join(" AND ")} GROUP BY ${groupList(dims.length)}`] : []),
    ].join(" UNION ALL ");
  };
  /**
   * The moves, all in one part: each range's rows added to their own bucket and taken from the
   * owner's. Their hours and raw edges are each read by one scan over the list of ranges, not a
   * scan per range: a year in another zone has a move at each of its twelve month boundaries, whose
   * 24 scans were each planned and run on their own (a year by SKU in Asia/Kolkata: 5–8 ms to plan
   * the statement and 20 to run it, 2026-12-07).
   */
  const movesPart = (moves: RollupQuery["moves"]) => {
    type Part = { from: Date; to: Date; owner: string; bucket: string | null };
    const raw: Part[] = [];
    const hourly: Part[] = [];
    for (const move of moves) {
      const [owner, bucket] = [bucketAt(move.owner), bucketOfRange(move)];
      const { raw: edges, hours } = pieces(move);
      for (const edge of edges) raw.push({ from: edge.from, to: edge.to, owner, bucket });
      if (hours) hourly.push({ from: hours.from, to: hours.to, owner, bucket });
    }
    // Each range: its instants, its owner's bucket, and its rows' bucket where they share one.
    const ranges = (list: Part[]) => `(VALUES ${list.map((r) =>
      `(${param(r.from.toISOString())}::timestamptz, ${param(r.to.toISOString())}::timestamptz, ${r.owner}, ${r.bucket ?? "NULL::timestamptz"})`).join(", ")}) r (f, t, o, rb)`;
    // Each range is its own index scan (LATERAL, and OFFSET 0 so that it stays a subquery): joined
    // to the list, PostgreSQL could not know how few rows each range holds and scanned all of a
    // workspace's hours by API key (114 ms). The ranges' columns (f, t, o, rb) are named as no
    // table's: the tables' own need no qualifier. COALESCE computes a row's bucket only where its
    // range has none.
    const scan = (table: string, time: string, dimSql: Record<string, string>, metricSql: MetricSql, list: Part[], where?: string) =>
      `SELECT ${[`COALESCE(r.rb, ${bucketOf(time)}) AS b`, "r.o", ...dims.map(({ dimension, alias }) => `${dimSql[dimension]} AS ${alias}`)].join(", ")}, ${sums(metricSql)}
        FROM ${ranges(list)} CROSS JOIN LATERAL (SELECT * FROM ${table}
          WHERE "workspaceId" = $1::uuid AND ${time} >= r.f AND ${time} < r.t${where ? ` AND ${where}` : ""} OFFSET 0) x
        GROUP BY ${groupList(dims.length + 1)}`;
    const scans = [
      ...(raw.length ? [scan(sql.raw.table, sql.raw.time, sql.raw.dims, sql.raw.metrics, raw)] : []),
      ...(hourly.length ? [scan(aggregate.hourly!, `"hour"`, aggregate.dims, aggregate.metrics, hourly, aggregate.where)] : []),
    ];
    return `
    SELECT CASE WHEN s.sign = 1 THEN g.b ELSE g.o END AS b,
      ${[...dims.map((d) => `g.${d.alias}`), ...metrics.map((m) => `s.sign * g.${m} ${m}`)].join(", ")}
    FROM (${scans.join(" UNION ALL ")}) g CROSS JOIN (VALUES (1), (-1)) s (sign)`;
  };

  const parts = [
    ...(q.days ? aggregateParts(q.days) : []), ...q.raw.map((range) => rangePart(range)), ...(q.moves.length ? [movesPart(q.moves)] : []), ...q.subtract.map((range) => rangePart(range, "-")),
  ];
  const aliases = dims.map((d) => d.alias);
  const groupValue = col.text().nullable();
  const schema = {
    b: col.date(),
    ...Object.fromEntries(metrics.map((m) => [m, metricColumns[m]])),
    ...Object.fromEntries(aliases.map((alias) => [alias, groupValue])),
  };
  return parseRows(schema, await run(
    `SELECT ${["b", ...aliases, ...metrics.map((m) => `COALESCE(SUM(${m}), 0)${METRIC_TOTALS[m]} ${m}`)].join(", ")}
     FROM (${parts.join(" UNION ALL ")}) parts
     GROUP BY ${groupList(aliases.length)}
     -- a group whose rows all moved to another bucket, or lie outside the window, nets to nothing
     HAVING SUM(n) <> 0
     ORDER BY b, SUM(c) DESC`,
    params,
  )) as RollupSqlRow[];
}

function once(make: () => string): () => string {
  let value: string | undefined;
  return () => (value ??= make());
}

function groupList(dimensionCount: number): string {
  return Array.from({ length: dimensionCount + 1 }, (_, i) => String(i + 1)).join(", ");
}
