import type { Access, Scope } from "../../domain/access.js";
import { callerApiKey } from "../../domain/api-keys.js";
import { callerUser } from "../../domain/credentials.js";
import { findWorkspace, listWorkspaces } from "../../domain/workspaces.js";
import { builder } from "../builder.js";
import { ScopeEnum } from "./api-key.js";

const ActorKind = builder.enumType("ActorKind", {
  values: { API_KEY: { value: "apiKey" }, USER: { value: "user" } } as const,
});

const ViewerRef = builder.objectRef<Access>("Viewer").implement({
  description: "Who is calling.",
  fields: (t) => ({
    kind: t.field({ type: ActorKind, resolve: (access) => (access.apiKeyId ? "apiKey" : "user") }),
    apiKey: t.prismaField({
      type: "ApiKey",
      nullable: true,
      description: "The calling API key.",
      resolve: (query, _access, _args, ctx) => callerApiKey(ctx, query),
    }),
    user: t.prismaField({ type: "User", nullable: true, resolve: (query, _access, _args, ctx) => callerUser(ctx, query) }),
    scopes: t.field({
      type: [ScopeEnum],
      description: "Scopes held: a key's own, or for a user the union over its workspace roles.",
      resolve: (access) => access.scopes() as Scope[],
    }),
    workspaces: t.prismaField({ type: ["Workspace"], resolve: (query, _access, _args, ctx) => listWorkspaces(ctx, query) }),
    defaultWorkspace: t.prismaField({
      type: "Workspace",
      nullable: true,
      description: "The key's workspace, or the workspace the session names.",
      resolve: (query, _access, _args, ctx) => findWorkspace(ctx, {}, query),
    }),
  }),
});

builder.prismaNode("User", {
  id: { field: "id" },
  description: "A person signed in with a dashboard session; visible to themselves.",
  fields: (t) => ({
    email: t.exposeString("email"),
    name: t.exposeString("name"),
  }),
});

builder.queryField("viewer", (t) => t.field({ type: ViewerRef, resolve: (_root, _args, ctx) => ctx.access }));
