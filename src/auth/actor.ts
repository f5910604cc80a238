// Who is asking. Every domain call takes an Actor; tenancy and scope checks live in the domain layer.

export const SCOPES = ["read:billing", "write:usage", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export type Role = "OWNER" | "ADMIN" | "MEMBER" | "VIEWER";

const ROLE_SCOPES: Record<Role, Scope[]> = {
  OWNER: ["read:billing", "write:usage", "admin"],
  ADMIN: ["read:billing", "write:usage", "admin"],
  MEMBER: ["read:billing", "write:usage"],
  VIEWER: ["read:billing"],
};

export interface ApiKeyActor {
  kind: "apiKey";
  apiKeyId: string;
  scopes: Scope[];
  /** Workspaces the key may see: its own, or every workspace of its organization. */
  workspaceIds: string[];
  organizationIds: string[];
  defaultWorkspaceId: string | null;
}

export interface UserActor {
  kind: "user";
  userId: string;
  email: string;
  roles: Map<string, Role>;
  workspaceIds: string[];
  organizationIds: string[];
  /** The workspace the session names (header X-Workspace-Id or a route's workspaceId). */
  defaultWorkspaceId: string | null;
}

export type Actor = ApiKeyActor | UserActor;

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Scopes the actor holds in one workspace (a user's come from its role there). */
export function scopesIn(actor: Actor, workspaceId: string): Scope[] {
  if (!actor.workspaceIds.includes(workspaceId)) return [];
  if (actor.kind === "apiKey") return actor.scopes;
  const role = actor.roles.get(workspaceId);
  return role ? ROLE_SCOPES[role] : [];
}

/** Scopes the actor holds somewhere (for checks made before a workspace is known). */
export function anyScopes(actor: Actor): Scope[] {
  if (actor.kind === "apiKey") return actor.scopes;
  return [...new Set([...actor.roles.values()].flatMap((role) => ROLE_SCOPES[role]))];
}

export function canSeeWorkspace(actor: Actor, workspaceId: string): boolean {
  return actor.workspaceIds.includes(workspaceId);
}
