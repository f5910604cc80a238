import { SCOPES, type Scope } from "../../domain/access.js";
import { apiKeyStatus, createApiKey, revokeApiKey } from "../../domain/api-keys.js";
import type { ApiKey } from "../../db/generated/client.js";
import { builder } from "../builder.js";
import { MUTATION_ERRORS } from "./errors.js";
import { OrganizationRef } from "./organization.js";
import { WorkspaceRef } from "./workspace.js";

const SCOPE_ENUM_VALUES: Record<Scope, string> = { "read:billing": "READ_BILLING", "write:usage": "WRITE_USAGE", admin: "ADMIN" };

export const ScopeEnum = builder.enumType("ApiScope", {
  description: "What a credential may do.",
  values: Object.fromEntries(
    SCOPES.map((scope) => [SCOPE_ENUM_VALUES[scope], { value: scope, description: `The ${scope} scope.` }]),
  ) as Record<string, { value: Scope }>,
});

const ApiKeyStatus = builder.enumType("ApiKeyStatus", { values: ["ACTIVE", "EXPIRED", "REVOKED"] as const });

// Visible to admins of the key's workspace, and to the key itself (node lookups go through the domain).
export const ApiKeyRef = builder.prismaNode("ApiKey", {
  id: { field: "id" },
  nullable: true,
  fields: (t) => ({
    name: t.exposeString("name"),
    hint: t.exposeString("hint", { description: "The first characters of the key, to recognise it." }),
    scopes: t.field({ type: [ScopeEnum], resolve: (key) => (key.scopes ?? []) as Scope[] }),
    status: t.field({ type: ApiKeyStatus, resolve: (key, _args, ctx) => apiKeyStatus(ctx, key) }),
    workspace: t.relation("workspace", { nullable: true }),
    organization: t.relation("organization", { nullable: true }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    lastUsedAt: t.expose("lastUsedAt", {
      type: "DateTime",
      nullable: true,
      description: "Last use, recorded at most once a minute.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const CreateApiKeyPayload = builder.objectRef<{ apiKey: ApiKey; secret: string }>("CreateApiKeyPayload").implement({
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, resolve: (payload) => payload.apiKey }),
    secret: t.exposeString("secret", { description: "The whole key (bgk_…). Shown once; store it now." }),
  }),
});

const RevokeApiKeyPayload = builder.objectRef<{ apiKey: ApiKey }>("RevokeApiKeyPayload").implement({
  fields: (t) => ({ apiKey: t.field({ type: ApiKeyRef, resolve: (payload) => payload.apiKey }) }),
});

const CreateApiKeyInput = builder.inputType("CreateApiKeyInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    scopes: t.field({ type: [ScopeEnum], required: true }),
    workspaceId: t.globalID({ for: WorkspaceRef, description: "Owning workspace." }),
    organizationId: t.globalID({ for: OrganizationRef, description: "Owning organization (organization admin keys only)." }),
    expiresAt: t.field({ type: "DateTime" }),
  }),
});

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreateApiKeyPayload,
    description: "Creates an API key (admin). The secret is returned once.",
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: "CreateApiKeyResult" } },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      createApiKey(ctx, {
        name: input.name,
        scopes: input.scopes,
        workspaceId: input.workspaceId?.id,
        organizationId: input.organizationId?.id,
        expiresAt: input.expiresAt,
      }),
  }),
  revokeApiKey: t.field({
    type: RevokeApiKeyPayload,
    description: "Revokes an API key (admin). Requests with it are refused from then on.",
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: "RevokeApiKeyResult" } },
    args: { id: t.arg.globalID({ required: true, for: ApiKeyRef }) },
    resolve: async (_root, { id }, ctx) => ({ apiKey: await revokeApiKey(ctx, id.id) }),
  }),
}));
