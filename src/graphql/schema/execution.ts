import type { Execution } from "../../db/generated/client.js";
import { InsufficientCreditsError } from "../../domain/errors.js";
import { executionsConnection, recordExecution, spending, workflows, type ExecutionBilling, type Spending } from "../../domain/executions.js";
import { builder } from "../builder.js";
import type { GraphQLContext } from "../context.js";
import { TOTAL_COUNT, totalCount } from "./connections.js";
import { SortOrderEnum } from "./enums.js";
import { MUTATION_ERRORS } from "./errors.js";
import { WorkspaceRef } from "./workspace.js";

const BillingTypeEnum = builder.enumType("BillingType", {
  description: "INCLUDED while the month's running cost is within the monthly limit; ON_DEMAND once past it.",
  values: ["INCLUDED", "ON_DEMAND"] as const,
});

export const WorkflowRef = builder.prismaNode("Workflow", {
  id: { field: "id" },
  nullable: true,
  fields: (t) => ({
    name: t.exposeString("name"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const CallCost = builder.objectRef<{ model: string; inputTokens: number; outputTokens: number; costUsd: string }>("ExecutionCallCost").implement({
  fields: (t) => ({
    model: t.exposeString("model"),
    inputTokens: t.exposeInt("inputTokens"),
    outputTokens: t.exposeInt("outputTokens"),
    costUsd: t.field({ type: "Decimal", resolve: (c) => c.costUsd }),
  }),
});

/** A billing field, batched over the page by the per-request loader. */
const billing =
  <K extends keyof ExecutionBilling>(key: K) =>
  (execution: Execution, _args: unknown, ctx: GraphQLContext) =>
    ctx.loaders.executionBilling.load(execution).then((b) => b[key]);

export const ExecutionRef = builder.prismaNode("Execution", {
  id: { field: "id" },
  nullable: true,
  fields: (t) => ({
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    workflow: t.relation("workflow"),
    trigger: t.exposeString("trigger"),
    model: t.exposeString("model"),
    inputTokens: t.exposeInt("inputTokens"),
    outputTokens: t.exposeInt("outputTokens"),
    totalTokens: t.int({ resolve: (e) => e.inputTokens + e.outputTokens }),
    costUsd: t.field({ type: "Decimal", resolve: (e) => e.costUsd }),
    costBreakdown: t.field({ type: [CallCost], resolve: (e) => (Array.isArray(e.costBreakdown) ? (e.costBreakdown as never) : []) }),
    billingType: t.field({ type: BillingTypeEnum, resolve: billing("billingType") }),
    monthToDateUsd: t.field({
      type: "Decimal",
      description: "Running cost of the execution's calendar month (workspace time zone) up to and including it.",
      resolve: billing("monthToDateUsd"),
    }),
    includedCostUsd: t.field({ type: "Decimal", resolve: billing("includedCostUsd") }),
    onDemandCostUsd: t.field({ type: "Decimal", description: "The part of the cost past the monthly limit.", resolve: billing("onDemandCostUsd") }),
    idempotencyKey: t.exposeString("idempotencyKey", { nullable: true }),
  }),
});

const SpendingPeriod = builder.enumType("SpendingPeriod", { values: ["MONTH_TO_DATE", "LAST_MONTH"] as const });

const SpendingRef = builder.objectRef<Spending>("Spending").implement({
  fields: (t) => ({
    from: t.field({ type: "DateTime", resolve: (s) => s.window.from }),
    to: t.field({ type: "DateTime", resolve: (s) => s.window.to }),
    monthlyLimitUsd: t.field({ type: "Decimal", resolve: (s) => s.monthlyLimitUsd }),
    costUsd: t.field({ type: "Decimal", resolve: (s) => s.costUsd }),
    includedCostUsd: t.field({ type: "Decimal", resolve: (s) => s.includedCostUsd }),
    onDemandCostUsd: t.field({ type: "Decimal", resolve: (s) => s.onDemandCostUsd }),
    executionCount: t.exposeInt("executionCount"),
  }),
});

builder.prismaObjectFields("Workspace", (t) => ({
  executions: t.connection(
    {
      type: ExecutionRef,
      nullable: true,
      description: "Workflow executions, newest first by default.",
      args: {
        from: t.arg({ type: "DateTime", required: false, description: "Inclusive." }),
        to: t.arg({ type: "DateTime", required: false, description: "Exclusive." }),
        workflowId: t.arg.globalID({ for: WorkflowRef, required: false }),
        model: t.arg.string({ required: false }),
        trigger: t.arg.string({ required: false }),
        order: t.arg({ type: SortOrderEnum, required: false, defaultValue: "NEWEST_FIRST" }),
      },
      resolve: (workspace, args, ctx) => executionsConnection(ctx, workspace, { ...args, workflowId: args.workflowId?.id }, args),
    },
    { fields: (t) => ({ totalCount: t.int({ description: TOTAL_COUNT, resolve: totalCount }) }) },
  ),
  workflows: t.field({ type: [WorkflowRef], nullable: true, resolve: (workspace, _args, ctx) => workflows(ctx, workspace) }),
  spending: t.field({
    type: SpendingRef,
    nullable: true,
    description: "A calendar month of execution cost against the monthly limit.",
    args: { period: t.arg({ type: SpendingPeriod, required: false, defaultValue: "MONTH_TO_DATE" }) },
    resolve: (workspace, args, ctx) => spending(ctx, workspace, args.period ?? "MONTH_TO_DATE"),
  }),
}));

const CallCostInput = builder.inputType("ExecutionCallCostInput", {
  fields: (t) => ({
    model: t.string({ required: true }),
    inputTokens: t.int({ required: true }),
    outputTokens: t.int({ required: true }),
    costUsd: t.field({ type: "Decimal", required: true }),
  }),
});

const RecordExecutionInput = builder.inputType("RecordExecutionInput", {
  fields: (t) => ({
    workspaceId: t.globalID({ for: WorkspaceRef, description: "Defaults to the caller's workspace." }),
    idempotencyKey: t.string(),
    workflow: t.string({ required: true, description: "Workflow name; created on first use." }),
    startedAt: t.field({ type: "DateTime", description: "Defaults to now." }),
    trigger: t.string({ required: true, description: "api, schedule, webhook, chat, manual…" }),
    model: t.string({ required: true }),
    inputTokens: t.int(),
    outputTokens: t.int(),
    costUsd: t.field({ type: "Decimal", required: true }),
    costBreakdown: t.field({ type: [CallCostInput], description: "Per-call costs; they must add up to costUsd." }),
    chargeCredits: t.boolean({ description: "Also debit the cost from the credit balance (default false)." }),
  }),
});

const RecordExecutionPayload = builder.objectRef<{ execution: Execution; duplicate: boolean }>("RecordExecutionPayload").implement({
  fields: (t) => ({
    execution: t.field({ type: ExecutionRef, resolve: (p) => p.execution }),
    duplicate: t.exposeBoolean("duplicate", { description: "True when the idempotency key was used before." }),
  }),
});

builder.mutationField("recordExecution", (t) =>
  t.field({
    type: RecordExecutionPayload,
    description: "Records one workflow execution (write:usage).",
    errors: { types: [...MUTATION_ERRORS, InsufficientCreditsError], directResult: true, union: { name: "RecordExecutionResult" } },
    args: { input: t.arg({ type: RecordExecutionInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      recordExecution(ctx, { id: input.workspaceId?.id ?? null }, {
        ...input,
        inputTokens: input.inputTokens ?? undefined,
        outputTokens: input.outputTokens ?? undefined,
        chargeCredits: input.chargeCredits ?? false,
      }),
  }),
);
