import { findOrganization } from "../../domain/workspaces.js";
import { builder } from "../builder.js";
import { scopedId } from "./ids.js";

export const OrganizationRef = builder.prismaNode("Organization", {
  id: { field: "id" },
  nullable: true,
  findUnique: (id, ctx) => ({ id: scopedId(id), AND: [{ id: { in: ctx.actor.organizationIds } }] }),
  fields: (t) => ({
    slug: t.exposeString("slug"),
    name: t.exposeString("name"),
    timeZone: t.exposeString("timeZone", { description: "IANA time zone used for its buckets by default." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    workspaces: t.relation("workspaces", {
      description: "The organization's workspaces that the caller may see.",
      query: (_args, ctx) => ({ where: { id: { in: ctx.actor.workspaceIds } }, orderBy: { slug: "asc" } }),
    }),
  }),
});

builder.queryField("organization", (t) =>
  t.prismaField({
    type: "Organization",
    nullable: true,
    description: "An organization by id or slug; with an organization key and no argument, the key's own.",
    args: { id: t.arg.globalID({ required: false, for: OrganizationRef }), slug: t.arg.string({ required: false }) },
    resolve: (query, _root, args, ctx) =>
      findOrganization(ctx.db.prisma, ctx.actor, { id: args.id?.id, slug: args.slug }, query),
  }),
);
