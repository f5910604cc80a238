import type { Execution, Workflow } from "../../db/generated/client.js";
import { InsufficientCreditsError } from "../../domain/errors.js";
import { executionsConnection, knownBilling, recordExecution, spending, workflows, type ExecutionBilling, type ExecutionColumn, type Spending } from "../../domain/executions.js";
import { builder } from "../builder.js";
import { columnsFor, selectedOnNodes } from "../selection.js";
import type { GraphQLContext } from "../context.js";
import { TOTAL_COUNT, totalCount } from "./connections.js";
import { SortOrderEnum } from "./enums.js";
import { MUTATION_ERRORS } from "./errors.js";
import { WorkspaceRef } from "./workspace.js";

const BillingTypeEnum = builder.enumType("BillingType", {
  description: "INCLUDED while the month's running cost is within the monthly limit; ON_DEMAND once past it.",
  values: {
    INCLUDED: { description: "The month's running cost, up to and including this execution, is within the monthly limit." },
    ON_DEMAND: { description: "The month's running cost has passed the monthly limit with this execution or before it." },
  } as const,
});

export const WorkflowRef = builder.prismaNode("Workflow", {
  id: { field: "id" },
  nullable: true,
  description: "A named workflow of a workspace, created when an execution first names it (read:billing).",
  fields: (t) => ({
    name: t.exposeString("name", { description: "Its name, unique in the workspace." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When its first execution was recorded." }),
  }),
});

const CallCost = builder.objectRef<{ model: string; inputTokens: number; outputTokens: number; costUsd: string }>("ExecutionCallCost").implement({
  description: "What one model call within an execution cost.",
  fields: (t) => ({
    model: t.exposeString("model", { description: "The model called." }),
    inputTokens: t.exposeInt("inputTokens", { description: "Input tokens of the call." }),
    outputTokens: t.exposeInt("outputTokens", { description: "Output tokens of the call." }),
    costUsd: t.field({ type: "Decimal", description: "Cost of the call in USD.", resolve: (c) => c.costUsd }),
  }),
});

/** A billing field: from the page's rows, which carry it, else batched over the page by the per-request loader. */
const billing =
  <K extends keyof ExecutionBilling>(key: K) =>
  (execution: Execution, _args: unknown, ctx: GraphQLContext) => {
    const known = knownBilling(execution);
    return known ? known[key] : ctx.loaders.executionBilling.load(execution).then((b) => b[key]);
  };

export const ExecutionRef = builder.prismaNode("Execution", {
  id: { field: "id" },
  nullable: true,
  description:
    "One workflow run and its cost (read:billing). Its billing fields tell the month's spend, so they need read:billing also when recordExecution returns the execution.",
  fields: (t) => ({
    startedAt: t.expose("startedAt", { type: "DateTime", description: "When the run started; it counts in that calendar month." }),
    workflow: t.field({
      type: WorkflowRef,
      description: "The workflow that ran.",
      // Pages read it with their executions; other executions load theirs in one batch.
      resolve: (e: Execution & { workflow?: Workflow }, _args, ctx) => e.workflow ?? ctx.loaders.workflow.load(e),
    }),
    trigger: t.exposeString("trigger", { description: "What started it, in lower case: api, schedule, webhook, chat, manual…" }),
    model: t.exposeString("model", { description: "The run's model, as recorded." }),
    inputTokens: t.exposeInt("inputTokens", { description: "Input tokens of the whole run." }),
    outputTokens: t.exposeInt("outputTokens", { description: "Output tokens of the whole run." }),
    totalTokens: t.int({ description: "inputTokens + outputTokens.", resolve: (e) => e.inputTokens + e.outputTokens }),
    costUsd: t.field({ type: "Decimal", description: "Cost of the run in USD.", resolve: (e) => e.costUsd }),
    costBreakdown: t.field({
      type: [CallCost],
      description: "Per-call costs as recorded; without them, one entry with the run's own model, tokens and cost.",
      resolve: (e) => (Array.isArray(e.costBreakdown) ? (e.costBreakdown as never) : []),
    }),
    billingType: t.field({ type: BillingTypeEnum, description: "Whether the run falls within the monthly limit.", resolve: billing("billingType") }),
    monthToDateUsd: t.field({
      type: "Decimal",
      description: "Running cost of the execution's calendar month (workspace time zone) up to and including it.",
      resolve: billing("monthToDateUsd"),
    }),
    includedCostUsd: t.field({ type: "Decimal", description: "The part of the cost within the monthly limit.", resolve: billing("includedCostUsd") }),
    onDemandCostUsd: t.field({ type: "Decimal", description: "The part of the cost past the monthly limit.", resolve: billing("onDemandCostUsd") }),
    idempotencyKey: t.exposeString("idempotencyKey", { nullable: true, description: "The key it was recorded under; null when none was sent." }),
  }),
});

const SpendingPeriod = builder.enumType("SpendingPeriod", {
  description: "A calendar month in the workspace's time zone.",
  values: {
    MONTH_TO_DATE: { description: "From the start of this month until now." },
    LAST_MONTH: { description: "The whole previous month." },
  } as const,
});

const SpendingRef = builder.objectRef<Spending>("Spending").implement({
  description: "A month's execution cost against the monthly limit.",
  fields: (t) => ({
    from: t.field({ type: "DateTime", description: "Start of the month, in the workspace's time zone.", resolve: (s) => s.window.from }),
    to: t.field({
      type: "DateTime",
      description: "Exclusive end: now for MONTH_TO_DATE, the start of this month for LAST_MONTH.",
      resolve: (s) => s.window.to,
    }),
    monthlyLimitUsd: t.field({ type: "Decimal", description: "The workspace's monthly limit in USD, as it is now.", resolve: (s) => s.monthlyLimitUsd }),
    costUsd: t.field({ type: "Decimal", description: "Cost of the month's executions in USD.", resolve: (s) => s.costUsd }),
    includedCostUsd: t.field({ type: "Decimal", description: "The cost up to the limit.", resolve: (s) => s.includedCostUsd }),
    onDemandCostUsd: t.field({ type: "Decimal", description: "The cost past the limit.", resolve: (s) => s.onDemandCostUsd }),
    executionCount: t.exposeInt("executionCount", { description: "Executions in the month." }),
  }),
});

/**
 * The columns each field of an execution reads beyond those a page always reads (its key, workflow
 * and what billing needs), so that a page reads only those its selection needs. A field missing
 * here makes the page read its rows whole.
 */
const COLUMNS_OF_FIELD: Partial<Record<string, readonly ExecutionColumn[]>> = {
  id: [],
  startedAt: [],
  workflow: [],
  costUsd: [],
  billingType: [],
  monthToDateUsd: [],
  includedCostUsd: [],
  onDemandCostUsd: [],
  trigger: ["trigger"],
  model: ["model"],
  inputTokens: ["inputTokens"],
  outputTokens: ["outputTokens"],
  totalTokens: ["inputTokens", "outputTokens"],
  costBreakdown: ["costBreakdown"],
  idempotencyKey: ["idempotencyKey"],
};

builder.prismaObjectFields("Workspace", (t) => ({
  executions: t.connection(
    {
      type: ExecutionRef,
      nullable: true,
      description: "Workflow executions, newest first by default.",
      args: {
        from: t.arg({ type: "DateTime", required: false, description: "Inclusive." }),
        to: t.arg({ type: "DateTime", required: false, description: "Exclusive." }),
        workflowId: t.arg.globalID({ for: WorkflowRef, required: false, description: "Only executions of this workflow." }),
        model: t.arg.string({ required: false, description: "Only executions with exactly this model." }),
        trigger: t.arg.string({ required: false, description: "Only executions with exactly this trigger (stored in lower case)." }),
        order: t.arg({ type: SortOrderEnum, required: false, defaultValue: "NEWEST_FIRST", description: "By startedAt." }),
      },
      resolve: (workspace, args, ctx, info) =>
        executionsConnection(ctx, workspace, { ...args, workflowId: args.workflowId?.id }, args, columnsFor(selectedOnNodes(info), COLUMNS_OF_FIELD)),
    },
    {
      description: "A page of a workspace's executions.",
      fields: (t) => ({ totalCount: t.int({ description: TOTAL_COUNT, resolve: totalCount }) }),
    },
    { description: "An execution and its cursor." },
  ),
  workflows: t.field({
    type: [WorkflowRef],
    nullable: true,
    description: "The workspace's workflows, by name (read:billing).",
    resolve: (workspace, _args, ctx) => workflows(ctx, workspace),
  }),
  spending: t.field({
    type: SpendingRef,
    nullable: true,
    description: "A calendar month of execution cost against the monthly limit.",
    args: { period: t.arg({ type: SpendingPeriod, required: false, defaultValue: "MONTH_TO_DATE", description: "Which month." }) },
    resolve: (workspace, args, ctx) => spending(ctx, workspace, args.period ?? "MONTH_TO_DATE"),
  }),
}));

const CallCostInput = builder.inputType("ExecutionCallCostInput", {
  description: "What one model call within an execution cost.",
  fields: (t) => ({
    model: t.string({ required: true, description: "The model called." }),
    inputTokens: t.int({ required: true, description: "Input tokens of the call, 0 to a billion." }),
    outputTokens: t.int({ required: true, description: "Output tokens of the call, 0 to a billion." }),
    costUsd: t.field({ type: "Decimal", required: true, description: "Cost of the call in USD, not negative, at most 8 decimals." }),
  }),
});

const RecordExecutionInput = builder.inputType("RecordExecutionInput", {
  description: "One workflow execution to record.",
  fields: (t) => ({
    workspaceId: t.globalID({ for: WorkspaceRef, description: "Defaults to the caller's workspace." }),
    idempotencyKey: t.string({ description: "Unique per workspace: a repeat returns the execution recorded first (duplicate: true) and records nothing." }),
    workflow: t.string({ required: true, description: "Workflow name; created on first use." }),
    startedAt: t.field({ type: "DateTime", description: "Defaults to now." }),
    trigger: t.string({ required: true, description: "api, schedule, webhook, chat, manual…" }),
    model: t.string({ required: true, description: "The run's model." }),
    inputTokens: t.int({ description: "Input tokens of the whole run, 0 to a billion; 0 by default." }),
    outputTokens: t.int({ description: "Output tokens of the whole run, 0 to a billion; 0 by default." }),
    costUsd: t.field({ type: "Decimal", required: true, description: "Cost of the run in USD: not negative, at most 8 decimals, below a billion." }),
    costBreakdown: t.field({ type: [CallCostInput], description: "Per-call costs; they must add up to costUsd." }),
    chargeCredits: t.boolean({ description: "Also debit the cost from the credit balance (default false)." }),
  }),
});

const RecordExecutionPayload = builder.objectRef<{ execution: Execution; duplicate: boolean }>("RecordExecutionPayload").implement({
  description: "The recorded execution.",
  fields: (t) => ({
    execution: t.field({
      type: ExecutionRef,
      description: "The execution: the new one, or the one recorded first under the same idempotency key.",
      resolve: (p) => p.execution,
    }),
    duplicate: t.exposeBoolean("duplicate", { description: "True when the idempotency key was used before." }),
  }),
});

builder.mutationField("recordExecution", (t) =>
  t.field({
    type: RecordExecutionPayload,
    description: "Records one workflow execution (write:usage).",
    errors: {
      types: [...MUTATION_ERRORS, InsufficientCreditsError],
      directResult: true,
      union: { name: "RecordExecutionResult", description: "The recorded execution, or why nothing was recorded." },
    },
    args: { input: t.arg({ type: RecordExecutionInput, required: true, description: "The execution." }) },
    resolve: (_root, { input }, ctx) =>
      recordExecution(ctx, { id: input.workspaceId?.id ?? null }, {
        ...input,
        inputTokens: input.inputTokens ?? undefined,
        outputTokens: input.outputTokens ?? undefined,
        chargeCredits: input.chargeCredits ?? false,
      }),
  }),
);
