// Authorization asked of the Actor inside the domain layer: an object the actor may not see is
// "not found"; one it may see but not act on is "forbidden" (missing scope).
import { canSeeWorkspace, scopesIn, type Actor, type Scope } from "../auth/actor.js";
import { ForbiddenError, NotFoundError } from "./errors.js";

export function assertWorkspaceScope(actor: Actor, workspaceId: string, scope: Scope): void {
  if (!canSeeWorkspace(actor, workspaceId)) throw new NotFoundError("Workspace");
  if (!scopesIn(actor, workspaceId).includes(scope)) throw new ForbiddenError(scope);
}

export function hasWorkspaceScope(actor: Actor, workspaceId: string, scope: Scope): boolean {
  return scopesIn(actor, workspaceId).includes(scope);
}
