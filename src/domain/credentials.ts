// Who a credential belongs to: the reads that authentication needs before there is a request
// context (an API key by its hash, a session's user and memberships), and the key's last use.
import type { Database } from "../db/client.js";
import type { User } from "../db/generated/client.js";
import { isScope, type Actor, type ApiKeyActor, type Role } from "./access.js";
import type { RequestContext } from "./context.js";
import { NotFoundError } from "./errors.js";
import { UUID } from "./rules/ids.js";
import { readSelection, type Selection } from "./workspaces.js";

/** What authenticating with an API key needs: the actor it stands for, and when it stops being live. */
export interface ApiKeyRecord {
  id: string;
  revokedAt: Date | null;
  expiresAt: Date | null;
  actor: ApiKeyActor;
}

/** The record of the key with this secret's hash, or null (processes cache it: see auth/key-cache.ts). */
export async function apiKeyRecord(db: Database, secretHash: string): Promise<ApiKeyRecord | null> {
  const key = await db.prisma.apiKey.findUnique({
    where: { secretHash },
    include: { organization: { select: { workspaces: { select: { id: true } } } }, workspace: { select: { organizationId: true } } },
  });
  if (!key) return null;
  const orgWorkspaces = key.organization?.workspaces.map((w) => w.id) ?? [];
  return {
    id: key.id,
    revokedAt: key.revokedAt,
    expiresAt: key.expiresAt,
    actor: {
      kind: "apiKey",
      apiKeyId: key.id,
      scopes: (key.scopes ?? []).filter(isScope),
      workspaceIds: [...new Set([...(key.workspaceId ? [key.workspaceId] : []), ...orgWorkspaces])],
      organizationIds: [key.organizationId ?? key.workspace?.organizationId].filter((id): id is string => !!id),
      organizationKeyOf: key.organizationId,
      defaultWorkspaceId: key.workspaceId,
    },
  };
}

/** The actor of a key that is live at `now` (not revoked, not expired), or null. */
export function liveApiKeyActor(record: ApiKeyRecord | null, now: Date): ApiKeyActor | null {
  if (!record || record.revokedAt || (record.expiresAt && record.expiresAt <= now)) return null;
  return record.actor;
}

/** The actor of a session's user, with the workspace the session names, or null. */
export async function userActor(db: Database, userId: string, workspaceId: string | null): Promise<Actor | null> {
  if (!UUID.test(userId)) return null;
  const user = await db.prisma.user.findUnique({
    where: { id: userId },
    include: { memberships: { select: { workspaceId: true, role: true, workspace: { select: { organizationId: true } } } } },
  });
  if (!user) return null;
  return {
    kind: "user",
    userId: user.id,
    email: user.email,
    roles: new Map(user.memberships.map((m) => [m.workspaceId, m.role as Role])),
    workspaceIds: user.memberships.map((m) => m.workspaceId),
    organizationIds: [...new Set(user.memberships.map((m) => m.workspace.organizationId))],
    defaultWorkspaceId: workspaceId,
  };
}

/** Records a key's use at `now` unless it was recorded within the interval. */
export async function recordApiKeyUse(db: Database, apiKeyId: string, now: Date, intervalSeconds: number): Promise<void> {
  await db.prisma.apiKey.updateMany({
    where: { id: apiKeyId, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - intervalSeconds * 1000) } }] },
    data: { lastUsedAt: now },
  });
}

/** The calling user (viewer.user). */
export function callerUser(ctx: RequestContext, selection: Selection = {}): Promise<User | null> {
  const query = readSelection(selection);
  const id = ctx.access.userId;
  return id ? (ctx.db.prisma.user.findUnique({ ...query, where: { id } }) as Promise<User | null>) : Promise.resolve(null);
}

/** A user by email, for the operator's `token` command. */
export async function userByEmail(ctx: RequestContext, email: string): Promise<User> {
  const user = ctx.access.isOperator ? await ctx.db.prisma.user.findUnique({ where: { email } }) : null;
  if (!user) throw new NotFoundError("User");
  return user;
}
