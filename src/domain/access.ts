// Who is asking, and what they may do: the one place that owns scopes and workspace visibility.
// Every domain function asks it first. An object the caller may not see is "not found", never
// "forbidden", so that its existence does not leak; one it may see but not act on is "forbidden".
import { ForbiddenError, NotFoundError } from "./errors.js";

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
  /** Organizations it may see: its own, or its workspace's (whose other workspaces stay hidden). */
  organizationIds: string[];
  /** The organization an organization-wide key belongs to; null for a workspace's key. */
  organizationKeyOf: string | null;
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

/** A Prisma filter on an id column; undefined means "every one" (the operator). */
export type IdFilter = { in: string[] } | undefined;

export class Access {
  private constructor(readonly actor: Actor | null) {}

  static of(actor: Actor): Access {
    return new Access(actor);
  }

  /** A caller without credentials (a signed download URL, which authorizes itself): sees nothing. */
  static nobody(): Access {
    return new Access({ kind: "apiKey", apiKeyId: "(no credentials)", scopes: [], workspaceIds: [], organizationIds: [], organizationKeyOf: null, defaultWorkspaceId: null });
  }

  /** The operator at the command line: every workspace, every scope. */
  static operator(): Access {
    return new Access(null);
  }

  get isOperator(): boolean {
    return this.actor === null;
  }

  /** Stable per caller: the budget and cache key of rate limits and cached answers. */
  get callerKey(): string {
    if (!this.actor) return "operator";
    return this.actor.kind === "apiKey" ? `key:${this.actor.apiKeyId}` : `user:${this.actor.userId}`;
  }

  get apiKeyId(): string | null {
    return this.actor?.kind === "apiKey" ? this.actor.apiKeyId : null;
  }

  get userId(): string | null {
    return this.actor?.kind === "user" ? this.actor.userId : null;
  }

  get defaultWorkspaceId(): string | null {
    return this.actor?.defaultWorkspaceId ?? null;
  }

  /** The organization a caller means when it names none: its only one. */
  get defaultOrganizationId(): string | null {
    return this.actor?.organizationIds.length === 1 ? this.actor.organizationIds[0]! : null;
  }

  canSee(workspaceId: string): boolean {
    return !this.actor || this.actor.workspaceIds.includes(workspaceId);
  }

  /** A user is visible to themselves (and to the operator). */
  canSeeUser(userId: string): boolean {
    return !this.actor || this.userId === userId;
  }

  canSeeOrganization(organizationId: string): boolean {
    return !this.actor || this.actor.organizationIds.includes(organizationId);
  }

  /** Scopes held in one workspace (a user's come from its role there). */
  scopesIn(workspaceId: string): Scope[] {
    if (!this.actor) return [...SCOPES];
    if (!this.actor.workspaceIds.includes(workspaceId)) return [];
    if (this.actor.kind === "apiKey") return this.actor.scopes;
    const role = this.actor.roles.get(workspaceId);
    return role ? ROLE_SCOPES[role] : [];
  }

  /** Scopes held somewhere: a key's own, or the union over a user's roles. */
  scopes(): Scope[] {
    if (!this.actor) return [...SCOPES];
    if (this.actor.kind === "apiKey") return this.actor.scopes;
    return [...new Set([...this.actor.roles.values()].flatMap((role) => ROLE_SCOPES[role]))];
  }

  has(workspaceId: string, scope: Scope): boolean {
    return this.scopesIn(workspaceId).includes(scope);
  }

  /** Not found unless the caller sees the workspace; forbidden unless it holds the scope there. */
  assert(workspaceId: string, scope: Scope): void {
    if (!this.canSee(workspaceId)) throw new NotFoundError("Workspace");
    if (!this.has(workspaceId, scope)) throw new ForbiddenError(scope);
  }

  /** The workspaces visible to the caller, or those where it holds `scope`, as a Prisma filter. */
  workspaces(scope?: Scope): IdFilter {
    if (!this.actor) return undefined;
    const ids = this.actor.workspaceIds;
    return { in: scope ? ids.filter((id) => this.has(id, scope)) : ids };
  }

  organizations(): IdFilter {
    return this.actor ? { in: this.actor.organizationIds } : undefined;
  }

  /**
   * Whether the caller may administer keys of an organization: only an organization's own admin
   * key (never a session) mints or revokes organization-wide keys.
   */
  administersOrganization(organizationId: string): boolean {
    if (!this.actor) return true;
    return this.actor.kind === "apiKey" && this.actor.organizationKeyOf === organizationId && this.actor.scopes.includes("admin");
  }
}
