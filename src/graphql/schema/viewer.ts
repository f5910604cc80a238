import type { Actor, Scope } from "../../auth/actor.js";
import { anyScopes } from "../../auth/actor.js";
import { findWorkspace, listWorkspaces } from "../../domain/workspaces.js";
import { builder } from "../builder.js";
import { ScopeEnum } from "./api-key.js";

const ActorKind = builder.enumType("ActorKind", {
  values: { API_KEY: { value: "apiKey" }, USER: { value: "user" } } as const,
});

const ViewerRef = builder.objectRef<Actor>("Viewer").implement({
  description: "Who is calling.",
  fields: (t) => ({
    kind: t.field({ type: ActorKind, resolve: (actor) => actor.kind }),
    apiKey: t.prismaField({
      type: "ApiKey",
      nullable: true,
      description: "The calling API key.",
      resolve: (query, actor, _args, ctx) =>
        actor.kind === "apiKey" ? ctx.db.prisma.apiKey.findUnique({ ...query, where: { id: actor.apiKeyId } }) : null,
    }),
    user: t.prismaField({
      type: "User",
      nullable: true,
      resolve: (query, actor, _args, ctx) =>
        actor.kind === "user" ? ctx.db.prisma.user.findUnique({ ...query, where: { id: actor.userId } }) : null,
    }),
    scopes: t.field({
      type: [ScopeEnum],
      description: "Scopes held: a key's own, or for a user the union over its workspace roles.",
      resolve: (actor) => anyScopes(actor) as Scope[],
    }),
    workspaces: t.prismaField({
      type: ["Workspace"],
      resolve: (query, actor, _args, ctx) => listWorkspaces(ctx.db.prisma, actor, query),
    }),
    defaultWorkspace: t.prismaField({
      type: "Workspace",
      nullable: true,
      description: "The key's workspace, or the workspace the session names.",
      resolve: (query, actor, _args, ctx) => findWorkspace(ctx.db.prisma, actor, {}, query),
    }),
  }),
});

builder.prismaObject("User", {
  fields: (t) => ({
    id: t.exposeID("id"),
    email: t.exposeString("email"),
    name: t.exposeString("name"),
  }),
});

builder.queryField("viewer", (t) => t.field({ type: ViewerRef, resolve: (_root, _args, ctx) => ctx.actor }));
