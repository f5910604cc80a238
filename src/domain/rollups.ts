// Daily aggregates in each workspace's own time zone, so that dashboards and range queries read a
// few rows per day instead of every charge. Writes upsert them in the transaction of the charge;
// rebuilds recompute a workspace from its raw rows after bulk loads or a time-zone change.

/** Runs one parameterised statement ($1, $2 …) on whatever connection the caller holds. */
export type RunSql = (sql: string, params: unknown[]) => Promise<unknown>;

const USAGE_ROLLUP_COLUMNS = `"workspaceId", "day", "skuId", "model", "apiKeyId", "externalUserId", "externalProjectId",
  "currency", "resourceKind", "quantity", "amount", "costUsd", "credits", "eventCount", "promptTokens", "completionTokens",
  "cacheReadTokens", "cacheWriteTokens"`;

const usageRollupSelect = (where: string) => `
SELECT u."workspaceId", (u."occurredAt" AT TIME ZONE w."timeZone")::date, u."skuId", COALESCE(u."model", ''),
  COALESCE(u."apiKeyId"::text, ''), COALESCE(u."externalUserId", ''), COALESCE(u."externalProjectId", ''),
  u."currency", u."resourceKind", SUM(u."units"), SUM(u."amount"), SUM(u."costUsd"), SUM(u."credits"), COUNT(*),
  COALESCE(SUM(u."promptTokens"), 0), COALESCE(SUM(u."completionTokens"), 0),
  COALESCE(SUM(u."cacheReadTokens"), 0), COALESCE(SUM(u."cacheWriteTokens"), 0)
FROM "UsageRecord" u JOIN "Workspace" w ON w."id" = u."workspaceId"
WHERE ${where}
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9`;

/** Adds the usage records whose ids are $1 to their days' rollups. */
export const UPSERT_USAGE_ROLLUPS = `
INSERT INTO "UsageDailyRollup" (${USAGE_ROLLUP_COLUMNS})
${usageRollupSelect(`u.id = ANY($1::bigint[])`)}
ON CONFLICT ("workspaceId", "day", "skuId", "model", "apiKeyId", "externalUserId", "externalProjectId", "currency", "resourceKind")
DO UPDATE SET
  "quantity" = "UsageDailyRollup"."quantity" + EXCLUDED."quantity",
  "amount" = "UsageDailyRollup"."amount" + EXCLUDED."amount",
  "costUsd" = "UsageDailyRollup"."costUsd" + EXCLUDED."costUsd",
  "credits" = "UsageDailyRollup"."credits" + EXCLUDED."credits",
  "eventCount" = "UsageDailyRollup"."eventCount" + EXCLUDED."eventCount",
  "promptTokens" = "UsageDailyRollup"."promptTokens" + EXCLUDED."promptTokens",
  "completionTokens" = "UsageDailyRollup"."completionTokens" + EXCLUDED."completionTokens",
  "cacheReadTokens" = "UsageDailyRollup"."cacheReadTokens" + EXCLUDED."cacheReadTokens",
  "cacheWriteTokens" = "UsageDailyRollup"."cacheWriteTokens" + EXCLUDED."cacheWriteTokens"`;

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

/** Recomputes both daily rollups of a workspace. Run it inside a transaction. */
export async function rebuildRollups(run: RunSql, workspaceId: string): Promise<void> {
  await run(`DELETE FROM "UsageDailyRollup" WHERE "workspaceId" = $1::uuid`, [workspaceId]);
  await run(`INSERT INTO "UsageDailyRollup" (${USAGE_ROLLUP_COLUMNS}) ${usageRollupSelect(`u."workspaceId" = $1::uuid`)}`, [workspaceId]);
  await run(`DELETE FROM "ExecutionDailyRollup" WHERE "workspaceId" = $1::uuid`, [workspaceId]);
  await run(`INSERT INTO "ExecutionDailyRollup" (${EXECUTION_ROLLUP_COLUMNS}) ${executionRollupSelect(`e."workspaceId" = $1::uuid`)}`, [workspaceId]);
}
