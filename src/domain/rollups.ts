// Daily aggregates in each workspace's own time zone, so that dashboards and range queries read a
// few rows per day instead of every charge. Writes upsert them in the transaction of the charge;
// rebuilds recompute a workspace from its raw rows after bulk loads or a time-zone change.

/** Runs one parameterised statement ($1, $2 …) on whatever connection the caller holds. */
export type RunSql = (sql: string, params: unknown[]) => Promise<unknown>;

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

function usageRollupInsert({ table, keys }: (typeof USAGE_TABLES)[number], where: string, upsert: boolean): string {
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

/** Adds the usage records whose ids are $1 to both daily usage tables (two statements). */
export const UPSERT_USAGE_ROLLUPS = USAGE_TABLES.map((t) => usageRollupInsert(t, `u.id = ANY($1::bigint[])`, true));

const executionRollupSelect = (where: string) => `
SELECT e."workspaceId", (e."startedAt" AT TIME ZONE w."timeZone")::date, e."workflowId", e."model", e."trigger",
  COUNT(*), SUM(e."inputTokens"), SUM(e."outputTokens"), SUM(e."costUsd")
FROM "Execution" e JOIN "Workspace" w ON w."id" = e."workspaceId"
WHERE ${where}
GROUP BY 1, 2, 3, 4, 5`;

const EXECUTION_ROLLUP_COLUMNS = `"workspaceId", "day", "workflowId", "model", "trigger", "executionCount", "inputTokens",
  "outputTokens", "costUsd"`;

/** Adds the executions whose ids are $1 to their days' rollups. */
export const UPSERT_EXECUTION_ROLLUPS = `
INSERT INTO "ExecutionDailyRollup" (${EXECUTION_ROLLUP_COLUMNS})
${executionRollupSelect(`e.id = ANY($1::bigint[])`)}
ON CONFLICT ("workspaceId", "day", "workflowId", "model", "trigger")
DO UPDATE SET
  "executionCount" = "ExecutionDailyRollup"."executionCount" + EXCLUDED."executionCount",
  "inputTokens" = "ExecutionDailyRollup"."inputTokens" + EXCLUDED."inputTokens",
  "outputTokens" = "ExecutionDailyRollup"."outputTokens" + EXCLUDED."outputTokens",
  "costUsd" = "ExecutionDailyRollup"."costUsd" + EXCLUDED."costUsd"`;

/** Recomputes every daily rollup of a workspace. Run it inside a transaction. */
export async function rebuildRollups(run: RunSql, workspaceId: string): Promise<void> {
  for (const table of USAGE_TABLES) {
    await run(`DELETE FROM "${table.table}" WHERE "workspaceId" = $1::uuid`, [workspaceId]);
    await run(usageRollupInsert(table, `u."workspaceId" = $1::uuid`, false), [workspaceId]);
  }
  await run(`DELETE FROM "ExecutionDailyRollup" WHERE "workspaceId" = $1::uuid`, [workspaceId]);
  await run(`INSERT INTO "ExecutionDailyRollup" (${EXECUTION_ROLLUP_COLUMNS}) ${executionRollupSelect(`e."workspaceId" = $1::uuid`)}`, [workspaceId]);
}
