import { z } from "zod";
import type { Actor } from "../auth/actor.js";
import { SCOPES } from "../auth/actor.js";
import { generateApiKeySecret } from "../auth/api-key-secret.js";
import type { PrismaClient } from "../db/client.js";
import type { ApiKey } from "../db/generated/client.js";
import { assertWorkspaceScope } from "./access.js";
import { ForbiddenError, NotFoundError } from "./errors.js";
import { parseInput } from "./validation.js";

/** Who creates or revokes keys: an actor with the admin scope, or the operator through the CLI. */
export type KeyAuthority = Actor | "operator";

const createApiKeyInput = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(SCOPES)).min(1, "at least one scope is required").max(SCOPES.length),
    workspaceId: z.uuid().nullish(),
    organizationId: z.uuid().nullish(),
    expiresAt: z.coerce
      .date()
      .nullish()
      .refine((date) => !date || date.getTime() > Date.now(), "must be in the future"),
  })
  .refine((input) => input.workspaceId || input.organizationId, {
    message: "a workspace or an organization must own the key",
    path: ["workspaceId"],
  });

export type CreateApiKeyInput = z.input<typeof createApiKeyInput>;

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** The whole key; shown once and never stored. */
  secret: string;
}

export async function createApiKey(
  prisma: PrismaClient,
  authority: KeyAuthority,
  rawInput: CreateApiKeyInput,
): Promise<CreatedApiKey> {
  const input = parseInput(createApiKeyInput, rawInput);
  if (authority !== "operator") assertKeyAdmin(authority, input);
  if (input.workspaceId && input.organizationId) {
    const workspace = await prisma.workspace.findFirst({
      where: { id: input.workspaceId, organizationId: input.organizationId },
      select: { id: true },
    });
    if (!workspace) throw new NotFoundError("Workspace");
  }
  const { key, hash, hint } = generateApiKeySecret();
  const apiKey = await prisma.apiKey.create({
    data: {
      name: input.name,
      scopes: [...new Set(input.scopes)],
      workspaceId: input.workspaceId ?? null,
      organizationId: input.organizationId ?? null,
      expiresAt: input.expiresAt ?? null,
      secretHash: hash,
      hint,
    },
  });
  return { apiKey, secret: key };
}

/** Keys visible to an admin: those of the workspaces where it holds `admin`. */
export function listApiKeys(prisma: PrismaClient, authority: KeyAuthority, workspaceId?: string): Promise<ApiKey[]> {
  if (authority === "operator") {
    return prisma.apiKey.findMany({ where: workspaceId ? { workspaceId } : {}, orderBy: { createdAt: "asc" } });
  }
  if (!workspaceId) throw new NotFoundError("Workspace");
  assertWorkspaceScope(authority, workspaceId, "admin");
  return prisma.apiKey.findMany({ where: { workspaceId }, orderBy: { createdAt: "asc" } });
}

/** Revokes a key; revoking twice keeps the first revocation time. */
export async function revokeApiKey(prisma: PrismaClient, authority: KeyAuthority, id: string): Promise<ApiKey> {
  const key = z.uuid().safeParse(id).success ? await prisma.apiKey.findUnique({ where: { id } }) : null;
  if (!key || (authority !== "operator" && !mayAdminister(authority, key))) throw new NotFoundError("ApiKey");
  if (key.revokedAt) return key;
  return prisma.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
}

function assertKeyAdmin(actor: Actor, input: { workspaceId?: string | null; organizationId?: string | null }): void {
  if (input.organizationId) {
    // Only an organization's own admin key may mint organization-wide keys.
    if (actor.kind !== "apiKey" || !actor.organizationIds.includes(input.organizationId)) {
      throw new NotFoundError("Organization");
    }
    if (!actor.scopes.includes("admin")) throw new ForbiddenError("admin");
  }
  if (input.workspaceId) assertWorkspaceScope(actor, input.workspaceId, "admin");
}

function mayAdminister(actor: Actor, key: ApiKey): boolean {
  if (key.organizationId && !key.workspaceId) {
    return actor.kind === "apiKey" && actor.organizationIds.includes(key.organizationId) && actor.scopes.includes("admin");
  }
  if (!key.workspaceId || !actor.workspaceIds.includes(key.workspaceId)) return false;
  assertWorkspaceScope(actor, key.workspaceId, "admin");
  return true;
}
