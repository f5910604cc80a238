import { usageRollup, type RollupMetrics, type RollupRow, type UsageRollup } from "../../domain/usage-rollup.js";
import { builder } from "../builder.js";
import { GranularityEnum, PeriodEnum, RollupDimensionEnum } from "./enums.js";

const RollupMetricsRef = builder.interfaceRef<RollupMetrics>("UsageRollupMetrics").implement({
  fields: (t) => ({
    quantity: t.field({ type: "Decimal", description: "Units summed (across SKUs when not grouped by SKU); executions for executions.", resolve: (m) => m.quantity }),
    costUsd: t.field({ type: "Decimal", resolve: (m) => m.costUsd }),
    credits: t.field({ type: "Decimal", resolve: (m) => m.credits }),
    eventCount: t.exposeInt("eventCount"),
    promptTokens: t.field({ type: "Decimal", description: "Input tokens (a count; a string because it can pass 2^53).", resolve: (m) => m.promptTokens.toString() }),
    completionTokens: t.field({ type: "Decimal", resolve: (m) => m.completionTokens.toString() }),
    cacheReadTokens: t.field({ type: "Decimal", resolve: (m) => m.cacheReadTokens.toString() }),
    cacheWriteTokens: t.field({ type: "Decimal", resolve: (m) => m.cacheWriteTokens.toString() }),
    totalTokens: t.field({ type: "Decimal", description: "prompt + completion.", resolve: (m) => (m.promptTokens + m.completionTokens).toString() }),
  }),
});

const RollupTotals = builder.objectRef<RollupMetrics>("UsageRollupTotals").implement({ interfaces: [RollupMetricsRef], fields: () => ({}) });

const RollupGroup = builder.objectRef<RollupRow["group"]>("UsageRollupGroup").implement({
  description: "The dimension values of a row; only the grouped-by ones are set.",
  fields: (t) => ({
    model: t.string({ nullable: true, resolve: (g) => g.MODEL ?? null }),
    sku: t.string({ nullable: true, resolve: (g) => g.SKU ?? null }),
    apiKeyId: t.string({ nullable: true, description: "Raw API key id.", resolve: (g) => g.API_KEY ?? null }),
    workflowId: t.string({ nullable: true, description: "Raw workflow id.", resolve: (g) => g.WORKFLOW ?? null }),
    trigger: t.string({ nullable: true, resolve: (g) => g.TRIGGER ?? null }),
    externalUserId: t.string({ nullable: true, resolve: (g) => g.EXTERNAL_USER ?? null }),
    externalProjectId: t.string({ nullable: true, resolve: (g) => g.EXTERNAL_PROJECT ?? null }),
    workspaceId: t.string({ nullable: true, description: "Raw workspace id.", resolve: (g) => g.WORKSPACE ?? null }),
    currency: t.string({ nullable: true, resolve: (g) => g.CURRENCY ?? null }),
    resourceKind: t.string({ nullable: true, resolve: (g) => g.RESOURCE_KIND ?? null }),
  }),
});

const RollupRowRef = builder.objectRef<RollupRow>("UsageRollupRow").implement({
  interfaces: [RollupMetricsRef],
  fields: (t) => ({
    bucketStart: t.field({ type: "DateTime", nullable: true, description: "Start of the calendar bucket; null for ALL.", resolve: (r) => r.bucketStart }),
    group: t.field({ type: RollupGroup, resolve: (r) => r.group }),
  }),
});

const RollupSource = builder.enumType("UsageRollupSource", { values: ["USAGE", "EXECUTIONS"] as const });

const UsageRollupRef = builder.objectRef<UsageRollup>("UsageRollup").implement({
  fields: (t) => ({
    source: t.field({ type: RollupSource, resolve: (r) => r.source }),
    from: t.field({ type: "DateTime", resolve: (r) => r.window.from }),
    to: t.field({ type: "DateTime", resolve: (r) => r.window.to }),
    timeZone: t.exposeString("timeZone"),
    granularity: t.field({ type: GranularityEnum, resolve: (r) => r.granularity }),
    groupBy: t.field({ type: [RollupDimensionEnum], resolve: (r) => r.groupBy }),
    rows: t.field({ type: [RollupRowRef], resolve: (r) => r.rows }),
    totals: t.field({ type: RollupTotals, resolve: (r) => r.totals }),
    usedDailyRollup: t.exposeBoolean("usedDailyRollup", { description: "Whether whole days were read from the daily aggregate tables (in any zone but for hourly buckets)." }),
  }),
});

builder.prismaObjectField("Workspace", "usageRollup", (t) =>
  t.field({
    type: UsageRollupRef,
    nullable: true,
    description: "Usage (or, grouped by WORKFLOW or TRIGGER, executions) totals per calendar bucket and group. Pass period or from/to.",
    args: {
      period: t.arg({ type: PeriodEnum, required: false }),
      from: t.arg({ type: "DateTime", required: false, description: "Inclusive." }),
      to: t.arg({ type: "DateTime", required: false, description: "Exclusive; defaults to now." }),
      granularity: t.arg({ type: GranularityEnum, required: false, defaultValue: "DAY" }),
      groupBy: t.arg({ type: [RollupDimensionEnum], required: false }),
      timeZone: t.arg.string({ required: false, description: "IANA zone of the buckets; defaults to the workspace's." }),
      source: t.arg({ type: RollupSource, required: false }),
    },
    resolve: (workspace, args, ctx) => usageRollup(ctx, workspace, args),
  }),
);
