// Workflow executions: recording, listing, and billing against the monthly limit. Whether an
// execution is Included or On-Demand is derived at read time from the running total of its
// calendar month (in the workspace's zone, kept on the execution as it is written) against the
// limit, which may change: the type itself is never stored.
import { z } from "zod";
import type { Execution, Prisma, Workflow, Workspace } from "../db/generated/client.js";
import { addExecutionsToAggregates } from "../store/aggregates.js";
import { executionByKey, executionsPage, insertExecution, monthToDateTotals, upsertWorkflow, type ExecutionColumn, type PagedExecution } from "../store/executions.js";
import { directSql } from "../store/rows.js";
import { GRAPHQL_PAGE, keyBounds, keysetConnection, timeIdKey, timeIdOrder, timeIdRange, type Connection, type ConnectionArgs } from "./connections.js";
import type { RequestContext } from "./context.js";
import { InvalidCursorError, ValidationError } from "./errors.js";
import { appendLedger, Decimal, withLedgerLock } from "./ledger.js";
import { MAX_CHARGE } from "./pricing.js";
import { parseInput, checkedName } from "./rules/check.js";
import { happenedProblem } from "./rules/instants.js";
import { NO_MATCH, rowId, UUID } from "./rules/ids.js";
import { count, decimal, quotient } from "./rules/numbers.js";
import { pageSize, type PageRule } from "./rules/pages.js";
import { name } from "./rules/text.js";
import { periodWindow, rangeFilter, resolveWindow, type TimeWindow, type WindowInput } from "./rules/windows.js";
import { localDate } from "./time.js";
import { usageRollup } from "./usage-rollup.js";
import { workspaceFor, type WorkspaceTarget } from "./workspaces.js";

const usd = decimal({ precision: 20, scale: 8, sign: "non-negative" });
/** Each at most a billion, so that their sum (totalTokens) is still a GraphQL Int. */
const tokens = count(1_000_000_000);

const executionInput = z.object({
  idempotencyKey: name(200).nullish(),
  workflow: name(200),
  startedAt: z.date().nullish(),
  trigger: z.string().trim().toLowerCase().regex(/^[a-z][a-z0-9_-]{0,49}$/, "must be a short word such as api, schedule, webhook, chat or manual"),
  model: name(200),
  inputTokens: tokens.default(0),
  outputTokens: tokens.default(0),
  costUsd: usd,
  costBreakdown: z.array(z.object({ model: name(200), inputTokens: tokens, outputTokens: tokens, costUsd: usd })).max(1_000).nullish(),
  /** Also debit the execution's cost from the credit balance, at the workspace's credit price. */
  chargeCredits: z.boolean().default(false),
});

export type RecordExecutionInput = z.input<typeof executionInput>;

/** Why an execution's times and amounts cannot be stored, or null. */
function executionProblem(ctx: RequestContext, input: z.output<typeof executionInput>): ValidationError | null {
  if (input.startedAt) {
    const problem = happenedProblem(input.startedAt, ctx.clock.now());
    if (problem) return ValidationError.single("startedAt", problem);
  }
  // As for one metered charge: a day's totals must still fit the aggregate columns.
  if (new Decimal(input.costUsd).gte(MAX_CHARGE)) return ValidationError.single("costUsd", "must be less than 1,000,000,000");
  if (input.costBreakdown?.length) {
    const sum = input.costBreakdown.reduce((s, call) => s.plus(call.costUsd), new Decimal(0));
    if (!sum.eq(input.costUsd)) return ValidationError.single("costBreakdown", `the calls add up to ${sum.toFixed()}, not costUsd ${input.costUsd}`);
  }
  return null;
}

export async function recordExecution(ctx: RequestContext, target: WorkspaceTarget, raw: RecordExecutionInput): Promise<{ execution: Execution; duplicate: boolean }> {
  const workspace = await workspaceFor(ctx, target, "write:usage");
  const input = parseInput(executionInput, raw);
  const problem = executionProblem(ctx, input);
  if (problem) throw problem;
  const now = ctx.clock.now();
  return withLedgerLock(ctx, workspace.id, async (run, locked) => {
    if (input.idempotencyKey) {
      const earlier = await executionByKey(run, workspace.id, input.idempotencyKey);
      if (earlier) return { execution: earlier, duplicate: true };
    }
    const execution = await insertExecution(run, {
      workspaceId: workspace.id,
      workflowId: await upsertWorkflow(run, workspace.id, input.workflow, now),
      startedAt: input.startedAt ?? now,
      trigger: input.trigger,
      model: input.model,
      inputTokens: input.inputTokens,
      outputTokens: input.outputTokens,
      costUsd: new Decimal(input.costUsd),
      costBreakdown: input.costBreakdown ?? [{ model: input.model, inputTokens: input.inputTokens, outputTokens: input.outputTokens, costUsd: input.costUsd }],
      idempotencyKey: input.idempotencyKey ?? null,
      createdAt: now,
    });
    await addExecutionsToAggregates(run, [execution.id]);
    if (input.chargeCredits && execution.costUsd.gt(0)) {
      await appendLedger(run, locked, [{
        type: "USAGE",
        amount: quotient(execution.costUsd, locked.creditPriceUsd, 6).neg(),
        description: `Execution of ${input.workflow}`,
        executionId: execution.id,
        occurredAt: execution.startedAt,
      }]);
    }
    return { execution, duplicate: false };
  });
}

export interface ExecutionFilter {
  from?: Date | null;
  to?: Date | null;
  workflowId?: string | null;
  model?: string | null;
  trigger?: string | null;
  order?: "NEWEST_FIRST" | "OLDEST_FIRST" | null;
}

/** Workspace.executions: in (startedAt, id) order, newest first by default. */
export async function executionsConnection<K extends ExecutionColumn = ExecutionColumn>(
  ctx: RequestContext, target: WorkspaceTarget, filter: ExecutionFilter, args: ConnectionArgs, columns?: readonly K[],
): Promise<Connection<PagedExecution<K>>> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  const workflowId = checkedName(filter.workflowId, "workflowId");
  const match = {
    from: filter.from ?? null,
    to: filter.to ?? null,
    workflowId: workflowId === null ? null : UUID.test(workflowId) ? workflowId : NO_MATCH,
    model: checkedName(filter.model, "model"),
    trigger: checkedName(filter.trigger, "trigger"),
  };
  const where: Prisma.ExecutionWhereInput = {
    workspaceId: workspace.id,
    startedAt: rangeFilter(match.from, match.to),
    workflowId: match.workflowId ?? undefined,
    model: match.model ?? undefined,
    trigger: match.trigger ?? undefined,
  };
  const descending = filter.order !== "OLDEST_FIRST";
  return keysetConnection(ctx, {
    connection: "Workspace.executions",
    workspaceId: workspace.id,
    ...timeIdKey,
    encode: (row) => timeIdKey.encode(row.startedAt, row.id),
    // Along the (workspaceId, startedAt, id) index whatever the window: one plan fits. For one
    // workflow, how many executions it has decides between that walk and the workflow's index.
    read: async (range) => withBilling(await executionsPage(directSql(ctx.db, { plan: match.workflowId ? "custom" : "generic" }), {
      workspaceId: workspace.id, ...match, ...keyBounds(range, descending), descending: descending !== range.backwards, take: range.take,
    }, columns), workspace),
    count: () => ctx.db.prisma.execution.count({ where }),
  }, args, GRAPHQL_PAGE);
}

export async function workflows(ctx: RequestContext, target: WorkspaceTarget): Promise<Workflow[]> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  return ctx.db.prisma.workflow.findMany({ where: { workspaceId: workspace.id }, orderBy: { name: "asc" } });
}

/**
 * The workflows of executions the caller holds, by id, in one statement for a page. A workflow goes
 * with its execution to whoever sees the workspace: a write key gets back the workflow it named.
 */
export async function workflowsOf(ctx: RequestContext, executions: readonly Pick<Execution, "workspaceId" | "workflowId">[]): Promise<Map<string, Workflow>> {
  const visible = executions.filter((e) => ctx.access.canSee(e.workspaceId));
  if (visible.length === 0) return new Map();
  const rows = await ctx.db.prisma.workflow.findMany({
    where: { id: { in: [...new Set(visible.map((e) => e.workflowId))] }, workspaceId: { in: [...new Set(visible.map((e) => e.workspaceId))] } },
  });
  return new Map(rows.map((row) => [row.id, row]));
}

export interface ExecutionBilling {
  /** Cost of the execution's calendar month up to and including it. */
  monthToDateUsd: Decimal;
  monthlyLimitUsd: Decimal;
  billingType: "INCLUDED" | "ON_DEMAND";
  includedCostUsd: Decimal;
  onDemandCostUsd: Decimal;
}

/**
 * Billing of executions in one statement: it tells the month's spend, so it needs read:billing in
 * each execution's workspace (a write:usage key gets back what it recorded, not the spend).
 */
export async function executionBilling(ctx: RequestContext, executions: readonly Pick<Execution, "id" | "workspaceId">[]): Promise<Map<bigint, ExecutionBilling>> {
  for (const workspaceId of new Set(executions.map((e) => e.workspaceId))) ctx.access.assert(workspaceId, "read:billing");
  const totals = await monthToDateTotals(directSql(ctx.db, { plan: "generic" }), executions.map((e) => e.id));
  return new Map(totals.map((row) => [row.id, billingOf(row.cost, row.running, row.limit)]));
}

export type { ExecutionColumn };

/** What an execution's billing is computed from, with its workspace's limit. */
type BilledColumns = Pick<Execution, "costUsd" | "monthToDateUsd">;

/**
 * Executions read under read:billing with their workspace at hand carry their billing, computed
 * from their running totals: it needs no statement of its own, and is computed once for all of its
 * fields (it was remembered in a WeakMap, 2% of a dashboard request's Node time by profile).
 */
const withBilling = <E extends BilledColumns>(executions: E[], workspace: Workspace) =>
  executions.map((execution) => Object.assign(execution, { billing: billingOf(execution.costUsd, execution.monthToDateUsd, workspace.monthlyLimitUsd) }));

/** The billing an execution was read with (withBilling); null for one read without it. */
export const knownBilling = (execution: BilledColumns & { billing?: ExecutionBilling }): ExecutionBilling | null => execution.billing ?? null;

/** Decimals are immutable: every included execution shares this zero. */
const NONE = new Decimal(0);

/** Included while the month's running cost stays within the limit; the part past it is on demand. */
export function billingOf(cost: Decimal, running: Decimal, limit: Decimal): ExecutionBilling {
  // Within the limit (costs are never negative), all of it is included: no arithmetic, no new Decimals.
  if (!running.gt(limit)) return { monthToDateUsd: running, monthlyLimitUsd: limit, billingType: "INCLUDED", includedCostUsd: cost, onDemandCostUsd: NONE };
  const over = running.minus(limit);
  const onDemand = over.lt(cost) ? over : cost;
  return { monthToDateUsd: running, monthlyLimitUsd: limit, billingType: "ON_DEMAND", includedCostUsd: cost.minus(onDemand), onDemandCostUsd: onDemand };
}

export interface Spending {
  window: TimeWindow;
  monthlyLimitUsd: Decimal;
  costUsd: Decimal;
  includedCostUsd: Decimal;
  onDemandCostUsd: Decimal;
  executionCount: number;
}

/** The Spending page: a calendar month of executions against the monthly limit. */
export async function spending(ctx: RequestContext, target: WorkspaceTarget, period: "MONTH_TO_DATE" | "LAST_MONTH"): Promise<Spending> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  const window = periodWindow(period, workspace.timeZone, ctx.clock.now());
  const rollup = await usageRollup(ctx, workspace, { ...window, granularity: "ALL", source: "EXECUTIONS" });
  const cost = rollup.totals.costUsd;
  const limit = workspace.monthlyLimitUsd;
  return {
    window,
    monthlyLimitUsd: limit,
    costUsd: cost,
    includedCostUsd: Decimal.min(cost, limit),
    onDemandCostUsd: Decimal.max(0, cost.minus(limit)),
    executionCount: rollup.totals.eventCount,
  };
}

// ---- The Usage page of source 004 ---------------------------------------------------------------

/** Stripe-style pages of 100 rows at most. */
export const EXECUTION_USAGE_PAGE: PageRule = { default: 100, max: 100 };
export const EXECUTION_EXPORT_CAP = 10_000;
const EXPORT_BATCH = 1_000;
const EXECUTION_WINDOW = { maxDays: 366, defaultPeriod: "LAST_30_DAYS" as const };

export type ExecutionWithWorkflow = Execution & { workflow: { id: string; name: string } };

export interface ExecutionUsageQuery extends WindowInput {
  limit?: number | null;
  startingAfter?: string | null;
  endingBefore?: string | null;
}

/** One keyset page, newest first; `endingBefore` walks back towards newer rows. */
async function executionPage(ctx: RequestContext, workspace: Workspace, window: TimeWindow, limit: number, cursor: { id: string; field: "starting_after" | "ending_before" } | null) {
  let anchor: Execution | null = null;
  const id = cursor ? rowId(cursor.id) : null;
  if (cursor) {
    anchor = id === null ? null : await ctx.db.prisma.execution.findFirst({ where: { id, workspaceId: workspace.id } });
    if (!anchor) throw new InvalidCursorError(cursor.field);
  }
  const older = cursor?.field !== "ending_before";
  const range = anchor ? { after: older ? { at: anchor.startedAt, id: anchor.id } : null, before: older ? null : { at: anchor.startedAt, id: anchor.id } } : { after: null, before: null };
  const rows: ExecutionWithWorkflow[] = await ctx.db.prisma.execution.findMany({
    where: { AND: [{ workspaceId: workspace.id, startedAt: { gte: window.from, lt: window.to } }, ...timeIdRange("startedAt", range, true)] },
    orderBy: timeIdOrder("startedAt", true, !older),
    take: limit + 1,
    include: { workflow: { select: { id: true, name: true } } },
  });
  const more = rows.length > limit;
  const data = rows.slice(0, limit);
  if (!older) data.reverse();
  return { data, more, older };
}

/** The Usage page's rows of a window, with their billing and Stripe-style cursors. */
export async function executionUsage(ctx: RequestContext, target: WorkspaceTarget, query: ExecutionUsageQuery) {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  if (query.startingAfter && query.endingBefore) throw ValidationError.single("starting_after", "pass starting_after or ending_before, not both");
  const window = resolveWindow(query, { ...EXECUTION_WINDOW, names: { period: "preset", from: "from", to: "to" } }, workspace.timeZone, ctx.clock.now());
  const limit = pageSize(query.limit, EXECUTION_USAGE_PAGE, "limit");
  const cursor = query.startingAfter ? { id: query.startingAfter, field: "starting_after" as const } : query.endingBefore ? { id: query.endingBefore, field: "ending_before" as const } : null;
  const { data, more, older } = await executionPage(ctx, workspace, window, limit, cursor);
  return {
    workspace,
    window,
    rows: data.map((execution) => ({ execution, billing: billingOf(execution.costUsd, execution.monthToDateUsd, workspace.monthlyLimitUsd) })),
    // Stripe-style: hasMore is about the direction walked; the cursors say where to go next.
    hasMore: more,
    nextCursor: data.length && (older ? more : true) ? data.at(-1)!.id.toString() : null,
    prevCursor: data.length && (older ? cursor !== null : more) ? data[0]!.id.toString() : null,
  };
}

/** The Usage page's CSV export: every row of the window up to the cap, in batches, newest first. */
export async function executionExport(ctx: RequestContext, target: WorkspaceTarget, query: WindowInput) {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  const window = resolveWindow(query, { ...EXECUTION_WINDOW, names: { period: "preset", from: "from", to: "to" } }, workspace.timeZone, ctx.clock.now());
  const total = await ctx.db.prisma.execution.count({ where: { workspaceId: workspace.id, startedAt: { gte: window.from, lt: window.to } }, take: EXECUTION_EXPORT_CAP + 1 });
  async function* batches(): AsyncGenerator<ExecutionWithWorkflow[]> {
    let cursor: { id: string; field: "starting_after" } | null = null;
    for (let sent = 0; sent < EXECUTION_EXPORT_CAP; ) {
      const batch = await executionPage(ctx, workspace, window, Math.min(EXPORT_BATCH, EXECUTION_EXPORT_CAP - sent), cursor);
      if (batch.data.length === 0) return;
      yield batch.data;
      sent += batch.data.length;
      if (!batch.more) return;
      cursor = { id: batch.data.at(-1)!.id.toString(), field: "starting_after" };
    }
  }
  return {
    workspace,
    truncated: total > EXECUTION_EXPORT_CAP,
    filename: `usage-${workspace.id}-${localDate(ctx.clock.now(), workspace.timeZone)}.csv`,
    batches: batches(),
  };
}
