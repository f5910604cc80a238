import { spaceActivity, type ActivityMetrics, type ActivityPeriod, type ActivityTotals, type SpaceActivity } from "../../domain/activity.js";
import { builder } from "../builder.js";

const ActivityGranularity = builder.enumType("ActivityGranularity", {
  description: "Bucket size of activity metrics, in calendar terms of the workspace's (or organization's) time zone.",
  values: {
    DAY: { value: "day", description: "Days; the range may span at most 90 days." },
    WEEK: { value: "week", description: "Weeks from Monday; the range may span at most 1,096 days." },
    MONTH: { value: "month", description: "Calendar months; the range may span at most 1,096 days." },
    QUARTER: { value: "quarter", description: "Calendar quarters; the range may span at most 1,096 days." },
  } as const,
});

const Tokens = builder.objectRef<ActivityTotals["tokens"]>("ActivityTokens").implement({
  description: "Tokens used by code generation (counts, as floats because they can pass 2^31).",
  fields: (t) => ({
    total: t.float({ description: "input + output + cacheWrite + cacheInput.", resolve: (x) => x.total }),
    input: t.float({ description: "Input tokens.", resolve: (x) => x.input }),
    output: t.float({ description: "Output tokens.", resolve: (x) => x.output }),
    cacheWrite: t.float({ description: "Tokens written to a prompt cache.", resolve: (x) => x.cacheWrite }),
    cacheInput: t.float({ description: "Input tokens read from a prompt cache.", resolve: (x) => x.cacheInput }),
  }),
});

const SpaceRef = builder.objectRef<SpaceActivity>("SpaceActivity").implement({
  description: "Line counts of one space (workspace) in a bucket.",
  fields: (t) => ({
    spaceId: t.exposeString("spaceId", { description: "Raw workspace id (not a global id)." }),
    spaceName: t.exposeString("spaceName", { description: "The workspace's name." }),
    linesAdded: t.exposeInt("linesAdded", { description: "Lines of code added." }),
    linesRemoved: t.exposeInt("linesRemoved", { description: "Lines of code removed." }),
    totalLines: t.exposeInt("totalLines", { description: "Lines generated." }),
    linesAccepted: t.exposeInt("linesAccepted", { description: "Generated lines that users accepted." }),
  }),
});

const Metrics = builder.objectRef<ActivityPeriod>("ActivityPeriodMetrics").implement({
  description: "Activity totals of one bucket.",
  fields: (t) => ({
    linesAdded: t.int({ description: "Lines of code added.", resolve: (p) => p.metrics.linesAdded }),
    linesRemoved: t.int({ description: "Lines of code removed.", resolve: (p) => p.metrics.linesRemoved }),
    totalLines: t.int({ description: "Lines generated.", resolve: (p) => p.metrics.totalLines }),
    linesAccepted: t.int({ description: "Generated lines that users accepted.", resolve: (p) => p.metrics.linesAccepted }),
    events: t.int({ description: "Activity events recorded.", resolve: (p) => p.metrics.events }),
    users: t.int({ description: "Distinct users with activity in the bucket.", resolve: (p) => p.metrics.users }),
    userPrompts: t.int({ description: "Prompts that users sent.", resolve: (p) => p.metrics.userPrompts }),
    tokens: t.field({ type: Tokens, description: "Tokens used.", resolve: (p) => p.metrics.tokens }),
    spaces: t.field({ type: [SpaceRef], description: "Per-space breakdown (organizations only).", resolve: (p) => p.spaces }),
  }),
});

const Period = builder.objectRef<ActivityPeriod>("ActivityPeriod").implement({
  description: "One bucket of the range.",
  fields: (t) => ({
    period: t.exposeString("period", { description: "First date of the bucket, YYYY-MM-DD." }),
    metrics: t.field({ type: Metrics, description: "The bucket's totals.", resolve: (p) => p }),
  }),
});

const Summary = builder.objectRef<ActivityMetrics["summary"]>("ActivitySummary").implement({
  description: "Totals over the whole range.",
  fields: (t) => ({
    totalLinesGenerated: t.exposeInt("totalLinesGenerated", { description: "Lines generated (the sum of totalLines)." }),
    totalLinesAccepted: t.exposeInt("totalLinesAccepted", { description: "Generated lines that users accepted." }),
    users: t.exposeInt("users", { description: "Distinct users with activity in the range." }),
    totalUserPrompts: t.exposeInt("totalUserPrompts", { description: "Prompts that users sent." }),
  }),
});

export const ActivityMetricsRef = builder.objectRef<ActivityMetrics>("ActivityMetrics").implement({
  description: "Code-generation activity (lines, events, users, prompts, tokens) per calendar bucket, and over the whole range.",
  fields: (t) => ({
    data: t.field({ type: [Period], description: "Every bucket of the range, oldest first, empty ones included (with zeros).", resolve: (m) => m.data }),
    summary: t.field({ type: Summary, description: "Totals over the whole range.", resolve: (m) => m.summary }),
  }),
});

export const activityArgs = builder.args((t) => ({
  startDate: t.string({ required: true, description: "YYYY-MM-DD, inclusive." }),
  endDate: t.string({ required: true, description: "YYYY-MM-DD, inclusive." }),
  granularity: t.field({ type: ActivityGranularity, required: false, defaultValue: "day", description: "Bucket size; DAY by default." }),
}));

builder.prismaObjectField("Workspace", "activityMetrics", (t) =>
  t.field({
    type: ActivityMetricsRef,
    nullable: true,
    description: "Code-generation metrics of this space; dates are inclusive, in the workspace's time zone.",
    args: activityArgs,
    resolve: (workspace, args, ctx) => spaceActivity(ctx, workspace, args),
  }),
);
