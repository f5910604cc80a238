// Fusion code-generation metrics (source 003): organization-level and space-level routes.
import { activityMetrics, type ActivityMetrics } from "../domain/activity.js";
import { findOrganization } from "../domain/workspaces.js";
import { canSeeWorkspace, scopesIn } from "../auth/actor.js";
import { RestError, sendRestJson, type RestContext, type Route } from "./router.js";

const args = (ctx: RestContext) => ({
  startDate: ctx.query.get("startDate") ?? "",
  endDate: ctx.query.get("endDate") ?? "",
  granularity: ctx.query.get("granularity"),
});

const notFound = (what: string) => new RestError(404, "NOT_FOUND", `${what} not found or not authorized`);

export const activityRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/metrics/organization",
    scope: "read:billing",
    async handle(ctx) {
      const organizationId = ctx.query.get("organizationId");
      const org = await findOrganization(ctx.db.prisma, ctx.actor, { id: organizationId });
      if (!org) throw notFound("Organization");
      const spaces = await ctx.db.prisma.workspace.findMany({
        where: { organizationId: org.id, id: { in: ctx.actor.workspaceIds.filter((id) => scopesIn(ctx.actor, id).includes("read:billing")) } },
        select: { id: true, name: true },
        orderBy: { slug: "asc" },
      });
      const metrics = await activityMetrics(ctx.db.prisma, ctx.actor, spaces, org.timeZone, args(ctx), true);
      sendRestJson(ctx.res, 200, {
        data: metrics.data.map((p) => ({ period: p.period, metrics: { ...withoutTokens(p.metrics), spaces: p.spaces } })),
        summary: metrics.summary,
      });
    },
  },
  {
    method: "GET",
    path: "/api/v1/metrics/spaces/:spaceId",
    scope: "read:billing",
    async handle(ctx) {
      const id = ctx.params.spaceId!;
      const space = canSeeWorkspace(ctx.actor, id) ? await ctx.db.prisma.workspace.findUnique({ where: { id } }) : null;
      if (!space || !scopesIn(ctx.actor, space.id).includes("read:billing")) throw notFound("Space");
      const metrics: ActivityMetrics = await activityMetrics(ctx.db.prisma, ctx.actor, [space], space.timeZone, args(ctx), false);
      sendRestJson(ctx.res, 200, {
        data: metrics.data.map((p) => ({ period: p.period, metrics: p.metrics })),
        summary: {
          totalLinesGenerated: metrics.summary.totalLinesGenerated,
          totalLinesAccepted: metrics.summary.totalLinesAccepted,
          totalUsers: metrics.summary.users,
          totalUserPrompts: metrics.summary.totalUserPrompts,
        },
      });
    },
  },
];

function withoutTokens<T extends { tokens: unknown }>(metrics: T): Omit<T, "tokens"> {
  const { tokens: _tokens, ...rest } = metrics;
  return rest;
}
