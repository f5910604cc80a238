import type { Access, Scope } from "../../domain/access.js";
import { callerApiKey } from "../../domain/api-keys.js";
import { callerUser } from "../../domain/credentials.js";
import { findWorkspace, listWorkspaces } from "../../domain/workspaces.js";
import { builder } from "../builder.js";
import { ScopeEnum } from "./api-key.js";

const ActorKind = builder.enumType("ActorKind", {
  description: "What kind of credential is calling.",
  values: {
    API_KEY: { value: "apiKey", description: "An API key (bgk_…)." },
    USER: { value: "user", description: "A person with a dashboard session token." },
  } as const,
});

const ViewerRef = builder.objectRef<Access>("Viewer").implement({
  description: "Who is calling.",
  fields: (t) => ({
    kind: t.field({ type: ActorKind, description: "Whether an API key or a signed-in user is calling.", resolve: (access) => (access.apiKeyId ? "apiKey" : "user") }),
    apiKey: t.prismaField({
      type: "ApiKey",
      nullable: true,
      description: "The calling API key; null for a dashboard session.",
      resolve: (query, _access, _args, ctx) => callerApiKey(ctx, query),
    }),
    user: t.prismaField({
      type: "User",
      nullable: true,
      description: "The signed-in person; null for an API key.",
      resolve: (query, _access, _args, ctx) => callerUser(ctx, query),
    }),
    scopes: t.field({
      type: [ScopeEnum],
      description: "Scopes held: a key's own, or for a user the union over its workspace roles.",
      resolve: (access) => access.scopes() as Scope[],
    }),
    workspaces: t.prismaField({
      type: ["Workspace"],
      description: "Every workspace the caller may see, by slug: a key's own or all of its organization's, a user's memberships.",
      resolve: (query, _access, _args, ctx) => listWorkspaces(ctx, query),
    }),
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
    email: t.exposeString("email", { description: "The address the person signs in with." }),
    name: t.exposeString("name", { description: "Display name." }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({ type: ViewerRef, description: "The caller: its kind, key or user, scopes and workspaces.", resolve: (_root, _args, ctx) => ctx.access }),
);
