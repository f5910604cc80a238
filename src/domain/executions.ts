// Workflow executions: recording, listing filters, and billing against the monthly limit. Whether
// an execution is Included or On-Demand is derived at read time from the running total of its
// calendar month (in the workspace's zone) against the limit; it is never stored.
import { z } from "zod";
import type { Actor } from "../auth/actor.js";
import type { PrismaClient } from "../db/client.js";
import type { Execution, Prisma, Workspace } from "../db/generated/client.js";
import { assertWorkspaceScope } from "./access.js";
import { ValidationError } from "./errors.js";
import { appendLedger, Decimal, withLedgerLock } from "./ledger.js";
import { UPSERT_EXECUTION_ROLLUPS } from "./rollups.js";
import { decimalString } from "./usage.js";
import { usageRollup } from "./usage-rollup.js";
import { parseInput } from "./validation.js";
import { periodWindow, timeRangeWhere, type TimeWindow } from "./time.js";

const nonNegativeUsd = decimalString(8).refine((v) => !v.startsWith("-"), "must not be negative");
const tokens = z.number().int().min(0).max(2_000_000_000);

const executionInput = z.object({
  idempotencyKey: z.string().trim().min(1).max(200).nullish(),
  workflow: z.string().trim().min(1).max(200),
  startedAt: z.coerce.date().nullish().refine((d) => !d || d.getTime() <= Date.now() + 5 * 60_000, "must not be in the future"),
  trigger: z.string().trim().toLowerCase().regex(/^[a-z][a-z0-9_-]{0,49}$/, "must be a short word such as api, schedule, webhook, chat or manual"),
  model: z.string().trim().min(1).max(200),
  inputTokens: tokens.default(0),
  outputTokens: tokens.default(0),
  costUsd: nonNegativeUsd,
  costBreakdown: z
    .array(z.object({ model: z.string().min(1).max(200), inputTokens: tokens, outputTokens: tokens, costUsd: nonNegativeUsd }))
    .max(1_000)
    .nullish(),
  /** Also debit the execution's cost from the credit balance, at the workspace's credit price. */
  chargeCredits: z.boolean().default(false),
});

export type RecordExecutionInput = z.input<typeof executionInput>;

export async function recordExecution(
  prisma: PrismaClient,
  actor: Actor,
  workspaceId: string,
  raw: RecordExecutionInput,
): Promise<{ execution: Execution; duplicate: boolean }> {
  assertWorkspaceScope(actor, workspaceId, "write:usage");
  const input = parseInput(executionInput, raw);
  if (input.costBreakdown?.length) {
    const sum = input.costBreakdown.reduce((s, call) => s.plus(call.costUsd), new Decimal(0));
    if (!sum.eq(input.costUsd)) throw ValidationError.single("costBreakdown", `The calls add up to ${sum.toFixed()}, not costUsd ${input.costUsd}`);
  }
  return withLedgerLock(prisma, workspaceId, async (tx, workspace) => {
    if (input.idempotencyKey) {
      const earlier = await tx.execution.findUnique({ where: { workspaceId_idempotencyKey: { workspaceId, idempotencyKey: input.idempotencyKey } } });
      if (earlier) return { execution: earlier, duplicate: true };
    }
    const [workflow] = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO "Workflow" (id, "workspaceId", name) VALUES (gen_random_uuid(), ${workspaceId}::uuid, ${input.workflow})
      ON CONFLICT ("workspaceId", name) DO UPDATE SET name = EXCLUDED.name RETURNING id`;
    const execution = await tx.execution.create({
      data: {
        workspaceId,
        workflowId: workflow!.id,
        startedAt: input.startedAt ?? new Date(),
        trigger: input.trigger,
        model: input.model,
        inputTokens: input.inputTokens,
        outputTokens: input.outputTokens,
        costUsd: input.costUsd,
        costBreakdown: (input.costBreakdown ?? [{ model: input.model, inputTokens: input.inputTokens, outputTokens: input.outputTokens, costUsd: input.costUsd }]) as Prisma.InputJsonValue,
        idempotencyKey: input.idempotencyKey ?? null,
      },
    });
    await tx.$executeRawUnsafe(UPSERT_EXECUTION_ROLLUPS, [execution.id.toString()]);
    if (input.chargeCredits && execution.costUsd.gt(0)) {
      await appendLedger(tx, workspace, [{
        type: "USAGE",
        amount: execution.costUsd.div(workspace.creditPriceUsd).toDecimalPlaces(6).neg(),
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
}

/** The where-clause of execution listings (within a workspace the caller has chosen). */
export function executionWhere(filter: ExecutionFilter): Prisma.ExecutionWhereInput {
  return {
    ...timeRangeWhere("startedAt", filter.from, filter.to),
    ...(filter.workflowId ? { workflowId: filter.workflowId } : {}),
    ...(filter.model ? { model: filter.model } : {}),
    ...(filter.trigger ? { trigger: filter.trigger } : {}),
  };
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
 * Billing of a set of executions in one statement: whole earlier days of the month from the daily
 * rollup, the execution's own day from raw rows up to it.
 */
export async function executionBilling(prisma: PrismaClient, ids: readonly bigint[]): Promise<Map<bigint, ExecutionBilling>> {
  const rows = await prisma.$queryRaw<{ id: bigint; cost: Decimal; running: Decimal; limit: Decimal }[]>`
    SELECT p.id, p."costUsd" AS cost, w."monthlyLimitUsd" AS limit,
      COALESCE((SELECT SUM(r."costUsd") FROM "ExecutionDailyRollup" r
        WHERE r."workspaceId" = p."workspaceId"
          AND r."day" >= date_trunc('month', p."startedAt" AT TIME ZONE w."timeZone")::date
          AND r."day" < (p."startedAt" AT TIME ZONE w."timeZone")::date), 0)
      + (SELECT SUM(e."costUsd") FROM "Execution" e
        WHERE e."workspaceId" = p."workspaceId"
          AND e."startedAt" >= ((p."startedAt" AT TIME ZONE w."timeZone")::date::timestamp AT TIME ZONE w."timeZone")
          AND (e."startedAt", e.id) <= (p."startedAt", p.id)) AS running
    FROM "Execution" p JOIN "Workspace" w ON w.id = p."workspaceId"
    WHERE p.id = ANY(${ids.map(String)}::bigint[])`;
  return new Map(rows.map((row) => [row.id, billingOf(new Decimal(row.cost), new Decimal(row.running), new Decimal(row.limit))]));
}

export function billingOf(cost: Decimal, running: Decimal, limit: Decimal): ExecutionBilling {
  const over = Decimal.max(0, running.minus(limit));
  const onDemand = Decimal.min(cost, over);
  return {
    monthToDateUsd: running,
    monthlyLimitUsd: limit,
    billingType: running.gt(limit) ? "ON_DEMAND" : "INCLUDED",
    includedCostUsd: cost.minus(onDemand),
    onDemandCostUsd: onDemand,
  };
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
export async function spending(
  prisma: PrismaClient,
  actor: Actor,
  workspace: Workspace,
  period: "MONTH_TO_DATE" | "LAST_MONTH",
  now = new Date(),
): Promise<Spending> {
  const window = periodWindow(period, workspace.timeZone, now);
  const rollup = await usageRollup(prisma, actor, workspace, { ...window, granularity: "ALL", source: "EXECUTIONS" }, now);
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
