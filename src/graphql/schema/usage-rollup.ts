import type { GraphQLResolveInfo } from "graphql";
import { usageRollup, type RollupMetricName, type RollupMetrics, type RollupRow, type UsageRollup } from "../../domain/usage-rollup.js";
import { builder } from "../builder.js";
import { selectedBelow } from "../selection.js";
import { GranularityEnum, PeriodEnum, RollupDimensionEnum } from "./enums.js";

const RollupMetricsRef = builder.interfaceRef<RollupMetrics>("UsageRollupMetrics").implement({
  description: "Totals of usage records, or of executions.",
  fields: (t) => ({
    quantity: t.field({ type: "Decimal", description: "Units summed (across SKUs when not grouped by SKU); executions for executions.", resolve: (m) => m.quantity }),
    costUsd: t.field({ type: "Decimal", description: "USD: the usage's list value (costUsd), or the executions' cost.", resolve: (m) => m.costUsd }),
    credits: t.field({ type: "Decimal", description: "Credits debited for the usage; 0 for executions.", resolve: (m) => m.credits }),
    eventCount: t.exposeInt("eventCount", { description: "Usage records, or executions, counted." }),
    promptTokens: t.field({ type: "Decimal", description: "Input tokens (a count; a string because it can pass 2^53).", resolve: (m) => m.promptTokens.toString() }),
    completionTokens: t.field({ type: "Decimal", description: "Output tokens (a count, as a string).", resolve: (m) => m.completionTokens.toString() }),
    cacheReadTokens: t.field({
      type: "Decimal",
      description: "Tokens read from a prompt cache (a count, as a string); 0 for executions.",
      resolve: (m) => m.cacheReadTokens.toString(),
    }),
    cacheWriteTokens: t.field({
      type: "Decimal",
      description: "Tokens written to a prompt cache (a count, as a string); 0 for executions.",
      resolve: (m) => m.cacheWriteTokens.toString(),
    }),
    totalTokens: t.field({ type: "Decimal", description: "prompt + completion.", resolve: (m) => (m.promptTokens + m.completionTokens).toString() }),
  }),
});

const RollupTotals = builder.objectRef<RollupMetrics>("UsageRollupTotals").implement({
  description: "Totals over the whole window: the sums of the rows.",
  interfaces: [RollupMetricsRef],
  fields: () => ({}),
});

const RollupGroup = builder.objectRef<RollupRow["group"]>("UsageRollupGroup").implement({
  description: "The dimension values of a row; only the grouped-by ones are set.",
  fields: (t) => ({
    model: t.string({ nullable: true, description: "The model, by MODEL; null for charges without one.", resolve: (g) => g.MODEL ?? null }),
    sku: t.string({ nullable: true, description: "The SKU's key, by SKU.", resolve: (g) => g.SKU ?? null }),
    apiKeyId: t.string({ nullable: true, description: "Raw API key id.", resolve: (g) => g.API_KEY ?? null }),
    workflowId: t.string({ nullable: true, description: "Raw workflow id.", resolve: (g) => g.WORKFLOW ?? null }),
    trigger: t.string({ nullable: true, description: "The execution trigger, by TRIGGER.", resolve: (g) => g.TRIGGER ?? null }),
    externalUserId: t.string({
      nullable: true,
      description: "The externalUserId, by EXTERNAL_USER; null for usage sent without one.",
      resolve: (g) => g.EXTERNAL_USER ?? null,
    }),
    externalProjectId: t.string({
      nullable: true,
      description: "The externalProjectId, by EXTERNAL_PROJECT; null for usage sent without one.",
      resolve: (g) => g.EXTERNAL_PROJECT ?? null,
    }),
    workspaceId: t.string({ nullable: true, description: "Raw workspace id.", resolve: (g) => g.WORKSPACE ?? null }),
    currency: t.string({ nullable: true, description: "A UsageCurrency value, by CURRENCY.", resolve: (g) => g.CURRENCY ?? null }),
    resourceKind: t.string({ nullable: true, description: "A ResourceKind value, by RESOURCE_KIND.", resolve: (g) => g.RESOURCE_KIND ?? null }),
  }),
});

const RollupRowRef = builder.objectRef<RollupRow>("UsageRollupRow").implement({
  description: "Totals of one bucket and group.",
  interfaces: [RollupMetricsRef],
  fields: (t) => ({
    bucketStart: t.field({ type: "DateTime", nullable: true, description: "Start of the calendar bucket; null for ALL.", resolve: (r) => r.bucketStart }),
    group: t.field({ type: RollupGroup, description: "The group's dimension values.", resolve: (r) => r.group }),
  }),
});

const RollupSource = builder.enumType("UsageRollupSource", {
  description: "What a rollup totals.",
  values: {
    USAGE: { description: "Usage records." },
    EXECUTIONS: { description: "Workflow executions (quantity and eventCount count them; credits and cache tokens are 0)." },
  } as const,
});

const UsageRollupRef = builder.objectRef<UsageRollup>("UsageRollup").implement({
  description: "Totals of usage or executions per calendar bucket and group, exact in any time zone.",
  fields: (t) => ({
    source: t.field({ type: RollupSource, description: "What was totalled.", resolve: (r) => r.source }),
    from: t.field({ type: "DateTime", description: "Start of the window (inclusive).", resolve: (r) => r.window.from }),
    to: t.field({ type: "DateTime", description: "End of the window (exclusive).", resolve: (r) => r.window.to }),
    timeZone: t.exposeString("timeZone", { description: "IANA time zone of the buckets." }),
    granularity: t.field({ type: GranularityEnum, description: "Bucket size.", resolve: (r) => r.granularity }),
    groupBy: t.field({ type: [RollupDimensionEnum], description: "Dimensions grouped by, as asked, without repeats.", resolve: (r) => r.groupBy }),
    rows: t.field({
      type: [RollupRowRef],
      description: "One row per bucket and group that has data (empty buckets are left out), by bucket, then highest cost first.",
      resolve: (r) => r.rows,
    }),
    totals: t.field({ type: RollupTotals, description: "Sums over the whole window.", resolve: (r) => r.totals }),
    usedDailyRollup: t.exposeBoolean("usedDailyRollup", { description: "Whether whole days were read from the daily aggregate tables, or whole months from their monthly twins (in any zone but for hourly buckets)." }),
  }),
});

builder.prismaObjectField("Workspace", "usageRollup", (t) =>
  t.field({
    type: UsageRollupRef,
    nullable: true,
    description: "Usage (or, grouped by WORKFLOW or TRIGGER, executions) totals per calendar bucket and group. Pass period or from/to.",
    args: {
      period: t.arg({ type: PeriodEnum, required: false, description: "A preset window in timeZone; not with from/to. One of period and from is required." }),
      from: t.arg({ type: "DateTime", required: false, description: "Inclusive." }),
      to: t.arg({ type: "DateTime", required: false, description: "Exclusive; defaults to now." }),
      granularity: t.arg({ type: GranularityEnum, required: false, defaultValue: "DAY", description: "Bucket size; windows span at most 366 days (31 for HOUR)." }),
      groupBy: t.arg({ type: [RollupDimensionEnum], required: false, description: "Dimensions to group by; none gives one row per bucket." }),
      timeZone: t.arg.string({ required: false, description: "IANA zone of the buckets; defaults to the workspace's." }),
      source: t.arg({
        type: RollupSource,
        required: false,
        description: "What to total; by default EXECUTIONS when grouping by WORKFLOW or TRIGGER, else USAGE.",
      }),
    },
    resolve: (workspace, args, ctx, info) => usageRollup(ctx, workspace, { ...args, metrics: selectedMetrics(info) }),
  }),
);

/** The metric fields that rows and totals select, each as the metrics it needs: the rollup sums only those. */
const METRICS_OF_FIELD: Record<string, RollupMetricName[]> = {
  quantity: ["quantity"], costUsd: ["costUsd"], credits: ["credits"], eventCount: ["eventCount"], promptTokens: ["promptTokens"],
  completionTokens: ["completionTokens"], cacheReadTokens: ["cacheReadTokens"], cacheWriteTokens: ["cacheWriteTokens"],
  totalTokens: ["promptTokens", "completionTokens"],
};

function selectedMetrics(info: GraphQLResolveInfo): RollupMetricName[] {
  return [...new Set([...selectedBelow(info, ["rows", "totals"])].flatMap((field) => METRICS_OF_FIELD[field] ?? []))];
}
