import { SCOPES, type Scope } from "../../domain/access.js";
import { apiKeyStatus, createApiKey, revokeApiKey } from "../../domain/api-keys.js";
import type { ApiKey } from "../../db/generated/client.js";
import { builder } from "../builder.js";
import { MUTATION_ERRORS } from "./errors.js";
import { OrganizationRef } from "./organization.js";
import { WorkspaceRef } from "./workspace.js";

const SCOPE_ENUM_VALUES: Record<Scope, string> = { "read:billing": "READ_BILLING", "write:usage": "WRITE_USAGE", admin: "ADMIN" };

const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  "read:billing": "read:billing: read usage, executions, workflows, the ledger and lots, balances, rollups, spending, activity and FOCUS data.",
  "write:usage": "write:usage: record usage (recordUsage) and executions (recordExecution).",
  admin: "admin: manage API keys, credits (grants, purchases, adjustments, refunds) and the monthly usage limit.",
};

export const ScopeEnum = builder.enumType("ApiScope", {
  description: "What a credential may do.",
  values: Object.fromEntries(
    SCOPES.map((scope) => [SCOPE_ENUM_VALUES[scope], { value: scope, description: SCOPE_DESCRIPTIONS[scope] }]),
  ) as Record<string, { value: Scope }>,
});

const ApiKeyStatus = builder.enumType("ApiKeyStatus", {
  description: "Whether a key works, at the request's now.",
  values: {
    ACTIVE: { description: "Neither revoked nor past its expiry: requests with it are accepted." },
    EXPIRED: { description: "Past its expiresAt: requests with it are refused." },
    REVOKED: { description: "Revoked: requests with it are refused (whatever its expiry)." },
  } as const,
});

// Visible to admins of the key's workspace, and to the key itself (node lookups go through the domain).
export const ApiKeyRef = builder.prismaNode("ApiKey", {
  id: { field: "id" },
  nullable: true,
  description: "An API key's metadata, for admins of its workspace and for the key itself. Its secret is shown once, at creation.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "The label given at creation." }),
    hint: t.exposeString("hint", { description: "The first characters of the key, to recognise it." }),
    scopes: t.field({ type: [ScopeEnum], description: "What the key may do.", resolve: (key) => (key.scopes ?? []) as Scope[] }),
    status: t.field({ type: ApiKeyStatus, description: "Whether it works now.", resolve: (key, _args, ctx) => apiKeyStatus(ctx, key) }),
    workspace: t.relation("workspace", {
      nullable: true,
      description: "The workspace the key belongs to (its default workspace); null for an organization key without one.",
    }),
    organization: t.relation("organization", {
      nullable: true,
      description: "For an organization key, the organization whose every workspace it sees; null for a workspace's key.",
    }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true, description: "From then on the key is refused; null: it does not expire." }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true, description: "When it was revoked; null while it is not." }),
    lastUsedAt: t.expose("lastUsedAt", {
      type: "DateTime",
      nullable: true,
      description: "Last use, recorded at most once a minute.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the key was created." }),
  }),
});

const CreateApiKeyPayload = builder.objectRef<{ apiKey: ApiKey; secret: string }>("CreateApiKeyPayload").implement({
  description: "A new key: its metadata and, this once, its secret.",
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, description: "The new key's metadata.", resolve: (payload) => payload.apiKey }),
    secret: t.exposeString("secret", { description: "The whole key (bgk_…). Shown once; store it now." }),
  }),
});

const RevokeApiKeyPayload = builder.objectRef<{ apiKey: ApiKey }>("RevokeApiKeyPayload").implement({
  description: "The revoked key.",
  fields: (t) => ({
    apiKey: t.field({
      type: ApiKeyRef,
      description: "The key, with revokedAt set (the first revocation's time when it was revoked before).",
      resolve: (payload) => payload.apiKey,
    }),
  }),
});

const CreateApiKeyInput = builder.inputType("CreateApiKeyInput", {
  description: "A key to create: its name, scopes, owner and expiry.",
  fields: (t) => ({
    name: t.string({ required: true, description: "A label to recognise the key by, 1–100 characters." }),
    scopes: t.field({
      type: [ScopeEnum],
      required: true,
      description: "At least one, and only scopes the caller holds itself (in the owning workspace, when there is one).",
    }),
    workspaceId: t.globalID({ for: WorkspaceRef, description: "Owning workspace; the caller's workspace when neither owner is given." }),
    organizationId: t.globalID({ for: OrganizationRef, description: "Owning organization (organization admin keys only)." }),
    expiresAt: t.field({ type: "DateTime", description: "When the key stops working, in the future; it never expires without one." }),
  }),
});

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreateApiKeyPayload,
    description: "Creates an API key (admin). The secret is returned once.",
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: "CreateApiKeyResult", description: "The new key, or why none was created." },
    },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true, description: "The key to create." }) },
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
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: "RevokeApiKeyResult", description: "The revoked key, or why it could not be revoked." },
    },
    args: { id: t.arg.globalID({ required: true, for: ApiKeyRef, description: "Global id of the key to revoke." }) },
    resolve: async (_root, { id }, ctx) => ({ apiKey: await revokeApiKey(ctx, id.id) }),
  }),
}));
