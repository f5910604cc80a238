// API keys: created by admins (or the operator at the command line), shown once, stored as a hash.
// Their metadata (name, scopes, hint, last use) is for admins of their workspace; a key may read
// its own through `viewer`.
import { z } from "zod";
import { generateApiKeySecret } from "../auth/api-key-secret.js";
import type { ApiKey } from "../db/generated/client.js";
import { SCOPES } from "./access.js";
import type { RequestContext } from "./context.js";
import { ForbiddenError, NotFoundError } from "./errors.js";
import { parseInput } from "./rules/check.js";
import { futureInstant } from "./rules/instants.js";
import { UUID, uuid } from "./rules/ids.js";
import { name } from "./rules/text.js";
import { readSelection, workspaceFor, type Selection, type WorkspaceTarget } from "./workspaces.js";

const createApiKeyInput = (now: Date) =>
  z
    .object({
      name: name(100),
      scopes: z.array(z.enum(SCOPES)).min(1, "at least one scope is required").max(SCOPES.length),
      workspaceId: uuid("a workspace").nullish(),
      organizationId: uuid("an organization").nullish(),
      expiresAt: futureInstant(now).nullish(),
    })
    .refine((input) => input.workspaceId || input.organizationId, { message: "a workspace or an organization must own the key", path: ["workspaceId"] });

export type CreateApiKeyInput = z.input<ReturnType<typeof createApiKeyInput>>;

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** The whole key; shown once and never stored. */
  secret: string;
}

export type ApiKeyStatus = "ACTIVE" | "EXPIRED" | "REVOKED";

/** A key's status at the request's now. */
export function apiKeyStatus(ctx: RequestContext, key: Pick<ApiKey, "revokedAt" | "expiresAt">): ApiKeyStatus {
  if (key.revokedAt) return "REVOKED";
  return key.expiresAt && key.expiresAt <= ctx.clock.now() ? "EXPIRED" : "ACTIVE";
}

/**
 * Creates a key owned by a workspace (the caller's, when it names neither) or an organization. A
 * caller grants only scopes it holds there itself: an admin-only key mints no reader.
 */
export async function createApiKey(ctx: RequestContext, raw: CreateApiKeyInput): Promise<CreatedApiKey> {
  const owner = raw.workspaceId || raw.organizationId ? {} : { workspaceId: ctx.access.defaultWorkspaceId };
  const input = parseInput(createApiKeyInput(ctx.clock.now()), { ...raw, ...owner });
  if (input.organizationId && !ctx.access.administersOrganization(input.organizationId)) {
    if (!ctx.access.canSeeOrganization(input.organizationId)) throw new NotFoundError("Organization");
    // A workspace's admin key sees its organization but only an organization's own admin key mints for it.
    throw new ForbiddenError("organization-wide admin");
  }
  if (input.workspaceId) await workspaceFor(ctx, { id: input.workspaceId }, "admin");
  const held = input.workspaceId ? ctx.access.scopesIn(input.workspaceId) : ctx.access.scopes();
  const beyond = input.scopes.find((scope) => !held.includes(scope));
  if (beyond) throw new ForbiddenError(beyond);
  if (input.workspaceId && input.organizationId) {
    const inOrganization = await ctx.db.prisma.workspace.count({ where: { id: input.workspaceId, organizationId: input.organizationId } });
    if (!inOrganization) throw new NotFoundError("Workspace");
  }
  const { key, hash, hint } = generateApiKeySecret();
  const apiKey = await ctx.db.prisma.apiKey.create({
    data: {
      name: input.name,
      scopes: [...new Set(input.scopes)],
      workspaceId: input.workspaceId ?? null,
      organizationId: input.organizationId ?? null,
      expiresAt: input.expiresAt ?? null,
      secretHash: hash,
      hint,
      createdAt: ctx.clock.now(),
    },
  });
  return { apiKey, secret: key };
}

/** The keys of a workspace (admin), or for the operator every key. */
export async function listApiKeys(ctx: RequestContext, target: WorkspaceTarget | null, selection: Selection = {}): Promise<ApiKey[]> {
  if (!target) {
    if (!ctx.access.isOperator) throw new NotFoundError("Workspace");
    return ctx.db.prisma.apiKey.findMany({ ...selection, orderBy: { createdAt: "asc" } }) as Promise<ApiKey[]>;
  }
  const workspace = await workspaceFor(ctx, target, "admin");
  return ctx.db.prisma.apiKey.findMany({ ...selection, where: { workspaceId: workspace.id }, orderBy: { createdAt: "asc" } }) as Promise<ApiKey[]>;
}

/** Revokes a key; revoking twice keeps the first revocation time. */
export async function revokeApiKey(ctx: RequestContext, id: string): Promise<ApiKey> {
  const key = UUID.test(id) ? await ctx.db.prisma.apiKey.findUnique({ where: { id } }) : null;
  if (!key || !mayAdminister(ctx, key)) throw new NotFoundError("ApiKey");
  if (key.revokedAt) return key;
  return ctx.db.prisma.apiKey.update({ where: { id }, data: { revokedAt: ctx.clock.now() } });
}

function mayAdminister(ctx: RequestContext, key: ApiKey): boolean {
  if (key.organizationId && !key.workspaceId) return ctx.access.administersOrganization(key.organizationId);
  if (!key.workspaceId || !ctx.access.canSee(key.workspaceId)) return false;
  ctx.access.assert(key.workspaceId, "admin");
  return true;
}

/** The calling key's own metadata (viewer.apiKey). */
export function callerApiKey(ctx: RequestContext, selection: Selection = {}): Promise<ApiKey | null> {
  const query = readSelection(selection);
  const id = ctx.access.apiKeyId;
  return id ? (ctx.db.prisma.apiKey.findUnique({ ...query, where: { id } }) as Promise<ApiKey | null>) : Promise.resolve(null);
}
