// Daily aggregates in each workspace's own time zone. Writes keep them current one row at a time;
// these rebuilds recompute a workspace from its raw rows after bulk loads or a time-zone change.

/** Runs one parameterised statement ($1, $2 …) on whatever connection the caller holds. */
export type RunSql = (sql: string, params: unknown[]) => Promise<unknown>;

const REBUILD_USAGE = `
INSERT INTO "UsageDailyRollup" ("workspaceId", "day", "skuId", "model", "apiKeyId", "externalUserId",
  "externalProjectId", "currency", "resourceKind", "quantity", "amount", "costUsd", "credits", "eventCount",
  "promptTokens", "completionTokens", "cacheReadTokens", "cacheWriteTokens")
SELECT u."workspaceId", (u."occurredAt" AT TIME ZONE w."timeZone")::date, u."skuId", COALESCE(u."model", ''),
  COALESCE(u."apiKeyId"::text, ''), COALESCE(u."externalUserId", ''), COALESCE(u."externalProjectId", ''),
  u."currency", u."resourceKind", SUM(u."units"), SUM(u."amount"), SUM(u."costUsd"), SUM(u."credits"), COUNT(*),
  COALESCE(SUM(u."promptTokens"), 0), COALESCE(SUM(u."completionTokens"), 0),
  COALESCE(SUM(u."cacheReadTokens"), 0), COALESCE(SUM(u."cacheWriteTokens"), 0)
FROM "UsageRecord" u JOIN "Workspace" w ON w."id" = u."workspaceId"
WHERE u."workspaceId" = $1::uuid
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9`;

const REBUILD_EXECUTIONS = `
INSERT INTO "ExecutionDailyRollup" ("workspaceId", "day", "workflowId", "model", "trigger", "executionCount",
  "inputTokens", "outputTokens", "costUsd")
SELECT e."workspaceId", (e."startedAt" AT TIME ZONE w."timeZone")::date, e."workflowId", e."model", e."trigger",
  COUNT(*), SUM(e."inputTokens"), SUM(e."outputTokens"), SUM(e."costUsd")
FROM "Execution" e JOIN "Workspace" w ON w."id" = e."workspaceId"
WHERE e."workspaceId" = $1::uuid
GROUP BY 1, 2, 3, 4, 5`;

/** Recomputes both daily rollups of a workspace. Run it inside a transaction. */
export async function rebuildRollups(run: RunSql, workspaceId: string): Promise<void> {
  await run(`DELETE FROM "UsageDailyRollup" WHERE "workspaceId" = $1::uuid`, [workspaceId]);
  await run(REBUILD_USAGE, [workspaceId]);
  await run(`DELETE FROM "ExecutionDailyRollup" WHERE "workspaceId" = $1::uuid`, [workspaceId]);
  await run(REBUILD_EXECUTIONS, [workspaceId]);
}
