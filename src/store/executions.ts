// SQL of the execution family: workflows created on first use, and the running monthly totals
// from which an execution's Included/On-Demand type is derived at read time.
import { z } from "zod";
import { col, parseRows, type RunSql } from "./rows.js";

/** The workflow of that name in the workspace, created if new. */
export async function upsertWorkflow(run: RunSql, workspaceId: string, name: string, createdAt: Date): Promise<string> {
  const [row] = parseRows(z.object({ id: col.text() }), await run(
    `INSERT INTO "Workflow" (id, "workspaceId", name, "createdAt") VALUES (gen_random_uuid(), $1::uuid, $2, $3::timestamptz)
     ON CONFLICT ("workspaceId", name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [workspaceId, name, createdAt],
  ));
  return row!.id;
}

const runningTotal = z.object({ id: col.bigint(), cost: col.decimal(), running: col.decimal(), limit: col.decimal() });
export type RunningTotal = z.output<typeof runningTotal>;

/**
 * Each execution's cost, its workspace's monthly limit, and the cost of its calendar month (in the
 * workspace's zone) up to and including it: whole earlier days from the daily aggregate, its own
 * day from raw rows. One statement for a whole page.
 */
export async function monthToDateTotals(run: RunSql, executionIds: readonly bigint[]): Promise<RunningTotal[]> {
  if (executionIds.length === 0) return [];
  return parseRows(runningTotal, await run(
    `SELECT p.id, p."costUsd" AS cost, w."monthlyLimitUsd" AS limit,
      COALESCE((SELECT SUM(r."costUsd") FROM "ExecutionDailyRollup" r
        WHERE r."workspaceId" = p."workspaceId"
          AND r."day" >= date_trunc('month', p."startedAt" AT TIME ZONE w."timeZone")::date
          AND r."day" < (p."startedAt" AT TIME ZONE w."timeZone")::date), 0)
      + (SELECT SUM(e."costUsd") FROM "Execution" e
        WHERE e."workspaceId" = p."workspaceId"
          AND e."startedAt" >= ((p."startedAt" AT TIME ZONE w."timeZone")::date::timestamp AT TIME ZONE w."timeZone")
          AND (e."startedAt", e.id) <= (p."startedAt", p.id)) AS running
    FROM "Execution" p JOIN "Workspace" w ON w.id = p."workspaceId"
    WHERE p.id = ANY($1::bigint[])`,
    [executionIds.map(String)],
  ));
}
