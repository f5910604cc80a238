// SQL of the execution family: workflows created on first use, and the running monthly totals
// (kept on each execution as it is written) from which its Included/On-Demand type is derived at
// read time.
import type { Execution, Workflow } from "../db/generated/client.js";
import { arrayLiteral } from "./bulk-insert.js";
import { col, parseRows, pickColumns, type RowOf, type RunSql } from "./rows.js";

/** The workflow of that name in the workspace, created if new. */
export async function upsertWorkflow(run: RunSql, workspaceId: string, name: string, createdAt: Date): Promise<string> {
  const [row] = parseRows({ id: col.text() }, await run(
    `INSERT INTO "Workflow" (id, "workspaceId", name, "createdAt") VALUES (gen_random_uuid(), $1::uuid, $2, $3::timestamptz)
     ON CONFLICT ("workspaceId", name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [workspaceId, name, createdAt],
  ));
  return row!.id;
}

const runningTotal = { id: col.bigint(), cost: col.decimal(), running: col.decimal(), limit: col.decimal() };
export type RunningTotal = RowOf<typeof runningTotal>;

/** Each execution's cost, its running monthly total and its workspace's monthly limit: one statement for a whole page. */
export async function monthToDateTotals(run: RunSql, executionIds: readonly bigint[]): Promise<RunningTotal[]> {
  if (executionIds.length === 0) return [];
  return parseRows(runningTotal, await run(
    `SELECT p.id, p."costUsd" AS cost, p."monthToDateUsd" AS running, w."monthlyLimitUsd" AS limit
    FROM "Execution" p JOIN "Workspace" w ON w.id = p."workspaceId"
    WHERE p.id = ANY($1::bigint[])`,
    [arrayLiteral(executionIds)],
  ));
}

/** The first instant of the calendar month, in zone `zone`, of the instant `at` (SQL expressions); months later with `plus`. */
const monthStart = (at: string, zone: string, plus = "") => `((date_trunc('month', ${at} AT TIME ZONE ${zone})${plus}) AT TIME ZONE ${zone})`;

/**
 * Sets every execution's running monthly total of a workspace from its costs, for rows written
 * without it (seeds and benchmarks insert executions in bulk, then rebuild what derives from them).
 */
export async function rebuildMonthToDate(run: RunSql, workspaceId: string): Promise<void> {
  await run(
    `UPDATE "Execution" e SET "monthToDateUsd" = r.running
    FROM (
      SELECT x.id, SUM(x."costUsd") OVER (PARTITION BY ${monthStart('x."startedAt"', 'w."timeZone"')} ORDER BY x."startedAt", x.id) AS running
      FROM "Execution" x JOIN "Workspace" w ON w.id = x."workspaceId" WHERE x."workspaceId" = $1::uuid
    ) r
    WHERE e.id = r.id AND e."monthToDateUsd" IS DISTINCT FROM r.running`,
    [workspaceId],
  );
}

/** An execution as Prisma's model has it. */
const executionRow = {
  id: col.bigint(),
  workspaceId: col.text(),
  workflowId: col.text(),
  startedAt: col.date(),
  trigger: col.text(),
  model: col.text(),
  inputTokens: col.int(),
  outputTokens: col.int(),
  costUsd: col.decimal(),
  monthToDateUsd: col.decimal(),
  costBreakdown: col.json(),
  idempotencyKey: col.text().nullable(),
  createdAt: col.date(),
} satisfies { [K in keyof Execution]: unknown };

const executionSelect = (names: string[]) => names.map((name) => `e."${name}"`).join(", ");
const EXECUTION_ROW_SELECT = executionSelect(Object.keys(executionRow));
const workflowColumns = { workflowName: col.text(), workflowCreatedAt: col.date() };

export type ExecutionColumn = keyof Execution;
/** What a page reads whatever columns it is asked for: its cursor's key, the workspace and workflow, what billing needs. */
const PAGE_KEY = ["id", "workspaceId", "workflowId", "startedAt", "costUsd", "monthToDateUsd"] as const;

/** An execution as a page reads it: `K` and the key, or whole. */
type PageColumns<K extends ExecutionColumn> = Pick<Execution, K | (typeof PAGE_KEY)[number]>;
/** An execution of a page with its workflow, which the page reads in the same statement. */
export type PagedExecution<K extends ExecutionColumn = ExecutionColumn> = PageColumns<K> & { workflow: Workflow };

/** A position in (startedAt, id) order. */
export interface StartKey {
  at: Date;
  id: bigint;
}

export interface ExecutionPageQuery {
  workspaceId: string;
  from: Date | null;
  to: Date | null;
  workflowId: string | null;
  model: string | null;
  trigger: string | null;
  /** Rows after / before these positions in (startedAt, id) order. */
  above: StartKey | null;
  below: StartKey | null;
  descending: boolean;
  take: number;
}

/**
 * A page of a workspace's executions in (startedAt, id) order, along its (workspaceId, startedAt, id)
 * index: whole, or only `columns` (and the key) when given.
 */
export async function executionsPage<K extends ExecutionColumn = ExecutionColumn>(
  run: RunSql, q: ExecutionPageQuery, columns?: readonly K[],
): Promise<PagedExecution<K>[]> {
  const schema = columns ? pickColumns(executionRow, [...PAGE_KEY, ...columns]) : executionRow;
  const params: unknown[] = [q.workspaceId];
  const param = (value: unknown, type: string) => `$${params.push(value)}::${type}`;
  const position = (key: StartKey) => `(${param(key.at.toISOString(), "timestamptz")}, ${param(key.id.toString(), "int8")})`;
  const where = [
    `e."workspaceId" = $1::uuid`,
    ...(q.from ? [`e."startedAt" >= ${param(q.from.toISOString(), "timestamptz")}`] : []),
    ...(q.to ? [`e."startedAt" < ${param(q.to.toISOString(), "timestamptz")}`] : []),
    ...(q.workflowId !== null ? [`e."workflowId" = ${param(q.workflowId, "uuid")}`] : []),
    ...(q.model !== null ? [`e."model" = ${param(q.model, "text")}`] : []),
    ...(q.trigger !== null ? [`e."trigger" = ${param(q.trigger, "text")}`] : []),
    ...(q.above ? [`(e."startedAt", e.id) > ${position(q.above)}`] : []),
    ...(q.below ? [`(e."startedAt", e.id) < ${position(q.below)}`] : []),
  ];
  const direction = q.descending ? "DESC" : "ASC";
  const rows = await run(
    `SELECT ${columns ? executionSelect(Object.keys(schema)) : EXECUTION_ROW_SELECT}, w.name AS "workflowName", w."createdAt" AS "workflowCreatedAt"
     FROM "Execution" e JOIN "Workflow" w ON w.id = e."workflowId" WHERE ${where.join(" AND ")}
     ORDER BY e."startedAt" ${direction}, e.id ${direction} LIMIT ${param(q.take, "int4")}`,
    params,
  );
  const workflows = parseRows(workflowColumns, rows);
  // Each row gets its workflow in place: a spread would copy its columns again.
  // The generic Pick is beyond what TypeScript can follow through the schema; executionRow's `satisfies` ties them.
  return (parseRows(schema, rows) as PageColumns<K>[]).map((execution, i) => Object.assign(execution, {
    workflow: { id: execution.workflowId, workspaceId: execution.workspaceId, name: workflows[i]!.workflowName, createdAt: workflows[i]!.workflowCreatedAt },
  }));
}

/** A new execution: every column but its id and its running monthly total (the store's to compute). */
export type NewExecution = Omit<Execution, "id" | "monthToDateUsd">;

/**
 * Stores an execution and returns it as stored. Its running monthly total is the one of the
 * month's execution just before it plus its cost; one that arrives after later executions of its
 * month adds its cost to theirs. Both in one statement, which sees the rows as they were before it;
 * callers hold the workspace's ledger lock, so that no other execution of the workspace is being
 * written meanwhile.
 */
export async function insertExecution(run: RunSql, execution: NewExecution): Promise<Execution> {
  const zone = `(SELECT "timeZone" FROM "Workspace" WHERE id = $1::uuid)`;
  const [row] = parseRows(executionRow, await run(
    `WITH later AS (
      UPDATE "Execution" x SET "monthToDateUsd" = x."monthToDateUsd" + $8::numeric
      WHERE x."workspaceId" = $1::uuid AND x."startedAt" > $3::timestamptz AND x."startedAt" < ${monthStart("$3::timestamptz", zone, " + interval '1 month'")}
    )
    INSERT INTO "Execution" AS e ("workspaceId", "workflowId", "startedAt", "trigger", "model", "inputTokens", "outputTokens", "costUsd", "costBreakdown", "idempotencyKey", "createdAt", "monthToDateUsd")
     VALUES ($1::uuid, $2::uuid, $3::timestamptz, $4, $5, $6::int4, $7::int4, $8::numeric, $9::jsonb, $10, $11::timestamptz, $8::numeric + COALESCE((
       SELECT p."monthToDateUsd" FROM "Execution" p
       WHERE p."workspaceId" = $1::uuid AND p."startedAt" <= $3::timestamptz AND p."startedAt" >= ${monthStart("$3::timestamptz", zone)}
       ORDER BY p."startedAt" DESC, p.id DESC LIMIT 1), 0))
     RETURNING ${EXECUTION_ROW_SELECT}`,
    [
      execution.workspaceId, execution.workflowId, execution.startedAt.toISOString(), execution.trigger, execution.model, execution.inputTokens,
      execution.outputTokens, execution.costUsd.toFixed(), JSON.stringify(execution.costBreakdown), execution.idempotencyKey, execution.createdAt.toISOString(),
    ],
  ));
  return row!;
}

/** The execution recorded under an idempotency key, by its unique index (the workspace hidden from the planner, as for ledger rows). */
export async function executionByKey(run: RunSql, workspaceId: string, idempotencyKey: string): Promise<Execution | null> {
  const [row] = parseRows(executionRow, await run(
    `SELECT ${EXECUTION_ROW_SELECT} FROM "Execution" e WHERE e."workspaceId" = (SELECT $1::uuid) AND e."idempotencyKey" = $2`,
    [workspaceId, idempotencyKey],
  ));
  return row ?? null;
}
