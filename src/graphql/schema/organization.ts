import { organizationActivity } from "../../domain/activity.js";
import { findOrganization, visibleWorkspacesWhere } from "../../domain/workspaces.js";
import { builder } from "../builder.js";
import { ActivityMetricsRef, activityArgs } from "./activity.js";

export const OrganizationRef = builder.prismaNode("Organization", {
  id: { field: "id" },
  nullable: true,
  description:
    "An organization: the billing account its workspaces belong to. Keys and members of its workspaces see it, but only the workspaces they may see in it.",
  fields: (t) => ({
    slug: t.exposeString("slug", { description: "Unique short name; organization(slug:) finds it." }),
    name: t.exposeString("name", { description: "Display name." }),
    timeZone: t.exposeString("timeZone", { description: "IANA time zone used for its buckets by default." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the organization was created." }),
    workspaces: t.relation("workspaces", {
      description: "The organization's workspaces that the caller may see.",
      query: (_args, ctx) => ({ where: visibleWorkspacesWhere(ctx), orderBy: { slug: "asc" } }),
    }),
    activityMetrics: t.field({
      type: ActivityMetricsRef,
      nullable: true,
      description: "Code-generation metrics of the organization's spaces that the caller may read, with a per-space breakdown; null with a FORBIDDEN error when it may read none of them.",
      args: activityArgs,
      resolve: (org, args, ctx) => organizationActivity(ctx, org, args),
    }),
  }),
});

builder.queryField("organization", (t) =>
  t.prismaField({
    type: "Organization",
    nullable: true,
    description: "An organization by id or slug; with no argument, the caller's own when it sees exactly one (an API key's always).",
    args: {
      id: t.arg.globalID({ required: false, for: OrganizationRef, description: "The organization's global id; not with slug." }),
      slug: t.arg.string({ required: false, description: "The organization's slug; not with id." }),
    },
    resolve: (query, _root, args, ctx) => findOrganization(ctx, { id: args.id?.id, slug: args.slug }, query),
  }),
);
