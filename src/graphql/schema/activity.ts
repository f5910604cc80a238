import { spaceActivity, type ActivityMetrics, type ActivityPeriod, type ActivityTotals, type SpaceActivity } from "../../domain/activity.js";
import { builder } from "../builder.js";

const ActivityGranularity = builder.enumType("ActivityGranularity", {
  values: { DAY: { value: "day" }, WEEK: { value: "week" }, MONTH: { value: "month" }, QUARTER: { value: "quarter" } } as const,
});

const Tokens = builder.objectRef<ActivityTotals["tokens"]>("ActivityTokens").implement({
  fields: (t) => ({
    total: t.float({ resolve: (x) => x.total }),
    input: t.float({ resolve: (x) => x.input }),
    output: t.float({ resolve: (x) => x.output }),
    cacheWrite: t.float({ resolve: (x) => x.cacheWrite }),
    cacheInput: t.float({ resolve: (x) => x.cacheInput }),
  }),
});

const SpaceRef = builder.objectRef<SpaceActivity>("SpaceActivity").implement({
  fields: (t) => ({
    spaceId: t.exposeString("spaceId"),
    spaceName: t.exposeString("spaceName"),
    linesAdded: t.exposeInt("linesAdded"),
    linesRemoved: t.exposeInt("linesRemoved"),
    totalLines: t.exposeInt("totalLines"),
    linesAccepted: t.exposeInt("linesAccepted"),
  }),
});

const Metrics = builder.objectRef<ActivityPeriod>("ActivityPeriodMetrics").implement({
  fields: (t) => ({
    linesAdded: t.int({ resolve: (p) => p.metrics.linesAdded }),
    linesRemoved: t.int({ resolve: (p) => p.metrics.linesRemoved }),
    totalLines: t.int({ resolve: (p) => p.metrics.totalLines }),
    linesAccepted: t.int({ resolve: (p) => p.metrics.linesAccepted }),
    events: t.int({ resolve: (p) => p.metrics.events }),
    users: t.int({ resolve: (p) => p.metrics.users }),
    userPrompts: t.int({ resolve: (p) => p.metrics.userPrompts }),
    tokens: t.field({ type: Tokens, resolve: (p) => p.metrics.tokens }),
    spaces: t.field({ type: [SpaceRef], description: "Per-space breakdown (organizations only).", resolve: (p) => p.spaces }),
  }),
});

const Period = builder.objectRef<ActivityPeriod>("ActivityPeriod").implement({
  fields: (t) => ({
    period: t.exposeString("period", { description: "First date of the bucket, YYYY-MM-DD." }),
    metrics: t.field({ type: Metrics, resolve: (p) => p }),
  }),
});

const Summary = builder.objectRef<ActivityMetrics["summary"]>("ActivitySummary").implement({
  fields: (t) => ({
    totalLinesGenerated: t.exposeInt("totalLinesGenerated"),
    totalLinesAccepted: t.exposeInt("totalLinesAccepted"),
    users: t.exposeInt("users"),
    totalUserPrompts: t.exposeInt("totalUserPrompts"),
  }),
});

export const ActivityMetricsRef = builder.objectRef<ActivityMetrics>("ActivityMetrics").implement({
  fields: (t) => ({
    data: t.field({ type: [Period], resolve: (m) => m.data }),
    summary: t.field({ type: Summary, resolve: (m) => m.summary }),
  }),
});

export const activityArgs = builder.args((t) => ({
  startDate: t.string({ required: true, description: "YYYY-MM-DD, inclusive." }),
  endDate: t.string({ required: true, description: "YYYY-MM-DD, inclusive." }),
  granularity: t.field({ type: ActivityGranularity, required: false, defaultValue: "day" }),
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
