import type { Actor } from "../auth/actor.js";
import type { PrismaClient } from "../db/client.js";
import type { Organization, Prisma, Workspace } from "../db/generated/client.js";
import { NotFoundError, ValidationError } from "./errors.js";

export interface Lookup {
  id?: string | null;
  slug?: string | null;
}

/** Prisma include/select chosen by the caller (GraphQL passes the fields the operation asks for). */
type Selection = { include?: object; select?: object };

/** The where-clause for one visible workspace by id or slug, or the actor's default; null if none. */
function workspaceWhere(actor: Actor, lookup: Lookup): Prisma.WorkspaceWhereInput | null {
  if (lookup.id && lookup.slug) throw ValidationError.single("id", "Pass id or slug, not both");
  const id = lookup.id ?? (lookup.slug ? undefined : actor.defaultWorkspaceId);
  if (!id && !lookup.slug) return null;
  if (id && !actor.workspaceIds.includes(id)) return null;
  return { AND: [{ id: { in: actor.workspaceIds } }, id ? { id } : { slug: lookup.slug! }] };
}

export async function findWorkspace(
  prisma: PrismaClient,
  actor: Actor,
  lookup: Lookup,
  selection: Selection = {},
): Promise<Workspace | null> {
  const where = workspaceWhere(actor, lookup);
  // One statement for the workspace and its nested connections (relationJoins).
  return where ? ((await prisma.workspace.findFirst({ ...selection, where, relationLoadStrategy: "join" })) as Workspace | null) : null;
}

export async function requireWorkspace(prisma: PrismaClient, actor: Actor, lookup: Lookup): Promise<Workspace> {
  const workspace = await findWorkspace(prisma, actor, lookup);
  if (!workspace) throw new NotFoundError("Workspace");
  return workspace;
}

export function listWorkspaces(prisma: PrismaClient, actor: Actor, selection: Selection = {}): Promise<Workspace[]> {
  return prisma.workspace.findMany({
    ...selection,
    where: { id: { in: actor.workspaceIds } },
    orderBy: { slug: "asc" },
  }) as Promise<Workspace[]>;
}

export async function findOrganization(
  prisma: PrismaClient,
  actor: Actor,
  lookup: Lookup,
  selection: Selection = {},
): Promise<Organization | null> {
  if (lookup.id && lookup.slug) throw ValidationError.single("id", "Pass id or slug, not both");
  const id = lookup.id ?? (lookup.slug ? undefined : actor.organizationIds.length === 1 ? actor.organizationIds[0] : undefined);
  if (!id && !lookup.slug) return null;
  if (id && !actor.organizationIds.includes(id)) return null;
  return (await prisma.organization.findFirst({
    ...selection,
    where: { AND: [{ id: { in: actor.organizationIds } }, id ? { id } : { slug: lookup.slug! }] },
  })) as Organization | null;
}
