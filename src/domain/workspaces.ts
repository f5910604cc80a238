// Workspaces and organizations the caller may see. Lookups by id or slug return null (not found)
// for anything outside the caller's tenancy, so that its existence does not leak.
import type { Organization, Prisma, Workspace } from "../db/generated/client.js";
import { directSql } from "../store/rows.js";
import { workspaceByKey } from "../store/workspaces.js";
import type { Scope } from "./access.js";
import type { RequestContext } from "./context.js";
import { NotFoundError, ValidationError } from "./errors.js";
import { checkedName } from "./rules/check.js";
import { UUID } from "./rules/ids.js";

export interface Lookup {
  id?: string | null;
  slug?: string | null;
}

/** A workspace a domain function acts on: one already loaded (a GraphQL parent), or a lookup. */
export type WorkspaceTarget = Workspace | Lookup;

/** Prisma include/select chosen by the caller (GraphQL passes the fields the operation asks for). */
export type Selection = { include?: object; select?: object };

const isLoaded = (target: WorkspaceTarget): target is Workspace => "timeZone" in target;

/** The workspace a lookup names by id or slug, or the caller's default; null if none, or an id it may not see. */
function workspaceKey(ctx: RequestContext, lookup: Lookup): { id: string } | { slug: string } | null {
  if (lookup.id && lookup.slug) throw ValidationError.single("id", "pass id or slug, not both");
  const slug = checkedName(lookup.slug, "slug");
  const id = lookup.id ?? (slug ? null : ctx.access.defaultWorkspaceId);
  if (id) return UUID.test(id) && ctx.access.canSee(id) ? { id } : null;
  return slug ? { slug } : null;
}

/** Read at once, even when nothing will match: a selection left unread is a bug to plugin-prisma. */
export const readSelection = (selection: Selection) => ({ ...selection });

/** Whether GraphQL asked for relations of the workspace along with it (plugin-prisma's selection). */
const asksRelations = (query: Selection) => query.select !== undefined || Object.keys(query.include ?? {}).length > 0;

export async function findWorkspace(ctx: RequestContext, lookup: Lookup, selection: Selection = {}): Promise<Workspace | null> {
  const query = readSelection(selection);
  const key = workspaceKey(ctx, lookup);
  if (!key) return null;
  if (asksRelations(query)) {
    // One statement for the workspace and its nested relations (relationJoins).
    const where = { AND: [{ id: ctx.access.workspaces() }, key] };
    return (await ctx.db.prisma.workspace.findFirst({ ...query, where, relationLoadStrategy: "join" })) as Workspace | null;
  }
  const workspace = await workspaceByKey(directSql(ctx.db, { plan: "generic" }), key);
  return workspace && ctx.access.canSee(workspace.id) ? workspace : null;
}

/** The workspace a call is about, once the caller is known to hold `scope` in it. */
export async function workspaceFor(ctx: RequestContext, target: WorkspaceTarget, scope: Scope): Promise<Workspace> {
  if (isLoaded(target)) {
    ctx.access.assert(target.id, scope);
    return target;
  }
  const workspace = await findWorkspace(ctx, target);
  if (!workspace) throw new NotFoundError("Workspace");
  ctx.access.assert(workspace.id, scope);
  return workspace;
}

export function listWorkspaces(ctx: RequestContext, selection: Selection = {}): Promise<Workspace[]> {
  return ctx.db.prisma.workspace.findMany({ ...selection, where: { id: ctx.access.workspaces() }, orderBy: { slug: "asc" } }) as Promise<Workspace[]>;
}

/** The workspaces of an organization that the caller may see (Organization.workspaces). */
export const visibleWorkspacesWhere = (ctx: RequestContext): Prisma.WorkspaceWhereInput => ({ id: ctx.access.workspaces() });

export async function findOrganization(ctx: RequestContext, lookup: Lookup, selection: Selection = {}): Promise<Organization | null> {
  const query = readSelection(selection);
  if (lookup.id && lookup.slug) throw ValidationError.single("id", "pass id or slug, not both");
  const slug = checkedName(lookup.slug, "slug");
  const id = lookup.id ?? (slug ? null : ctx.access.defaultOrganizationId);
  if (!id && !slug) return null;
  if (id && (!UUID.test(id) || !ctx.access.canSeeOrganization(id))) return null;
  return (await ctx.db.prisma.organization.findFirst({
    ...query,
    where: { AND: [{ id: ctx.access.organizations() }, id ? { id } : { slug: slug! }] },
  })) as Organization | null;
}
