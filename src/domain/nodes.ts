// node(id) and nodes(ids): objects by id, each type with its visibility rule. Usage records,
// executions, workflows, the ledger and its lots need read:billing in their workspace; API-key metadata
// needs admin there (or is the calling key's own); workspaces and organizations need to be seen.
import type { RequestContext } from "./context.js";
import { rowId, UUID } from "./rules/ids.js";

export interface NodeId {
  typename: string;
  id: string;
}

type Loader = (ctx: RequestContext, ids: string[]) => Promise<{ id: string | bigint }[]>;

const uuids = (ids: string[]) => ids.filter((id) => UUID.test(id));
const rowIds = (ids: string[]) => ids.map(rowId).filter((id): id is bigint => id !== null);

const LOADERS: Record<string, Loader> = {
  Organization: (ctx, ids) => ctx.db.prisma.organization.findMany({ where: { AND: [{ id: { in: uuids(ids) } }, { id: ctx.access.organizations() }] } }),
  Workspace: (ctx, ids) => ctx.db.prisma.workspace.findMany({ where: { AND: [{ id: { in: uuids(ids) } }, { id: ctx.access.workspaces() }] } }),
  ApiKey: (ctx, ids) =>
    ctx.db.prisma.apiKey.findMany({
      where: { id: { in: uuids(ids) }, OR: [{ workspaceId: ctx.access.workspaces("admin") }, ...(ctx.access.apiKeyId ? [{ id: ctx.access.apiKeyId }] : [])] },
    }),
  // The price list is public to every caller; a user is visible to themselves.
  Sku: (ctx, ids) => ctx.db.prisma.sku.findMany({ where: { id: { in: ids.filter((id) => id.length <= 200) } } }),
  User: (ctx, ids) => ctx.db.prisma.user.findMany({ where: { id: { in: uuids(ids).filter((id) => ctx.access.canSeeUser(id)) } } }),
  Workflow: (ctx, ids) => ctx.db.prisma.workflow.findMany({ where: { id: { in: uuids(ids) }, workspaceId: ctx.access.workspaces("read:billing") } }),
  CreditLot: (ctx, ids) => ctx.db.prisma.creditLot.findMany({ where: { id: { in: rowIds(ids) }, workspaceId: ctx.access.workspaces("read:billing") } }),
  CreditTransaction: (ctx, ids) => ctx.db.prisma.creditTransaction.findMany({ where: { id: { in: rowIds(ids) }, workspaceId: ctx.access.workspaces("read:billing") } }),
  UsageRecord: (ctx, ids) => ctx.db.prisma.usageRecord.findMany({ where: { id: { in: rowIds(ids) }, workspaceId: ctx.access.workspaces("read:billing") } }),
  Execution: (ctx, ids) => ctx.db.prisma.execution.findMany({ where: { id: { in: rowIds(ids) }, workspaceId: ctx.access.workspaces("read:billing") } }),
  FocusExportJob: (ctx, ids) => ctx.db.prisma.focusExportJob.findMany({ where: { id: { in: uuids(ids) }, workspaceId: ctx.access.workspaces("read:billing") } }),
};

/** The types that implement Node: the only ones a global id may name. */
export const NODE_TYPES: ReadonlySet<string> = new Set(Object.keys(LOADERS));

/** The objects of these ids, in order; null for an id that is unknown or not the caller's to see. */
export async function findNodes(ctx: RequestContext, ids: NodeId[]): Promise<({ typename: string; value: object } | null)[]> {
  const byType = new Map<string, string[]>();
  for (const { typename, id } of ids) byType.set(typename, [...(byType.get(typename) ?? []), id]);
  const found = new Map<string, object>();
  await Promise.all([...byType].map(async ([typename, typeIds]) => {
    const load = LOADERS[typename];
    if (!load) return;
    for (const row of await load(ctx, typeIds)) found.set(`${typename}:${row.id}`, row);
  }));
  return ids.map(({ typename, id }) => {
    const value = found.get(`${typename}:${id}`);
    return value ? { typename, value } : null;
  });
}
