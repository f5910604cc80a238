// Query.node and Query.nodes resolve through the domain, which applies each type's visibility rule.
import { brandWithType } from "@pothos/core";
import type { RequestContext } from "../domain/context.js";
import { findNodes, type NodeId } from "../domain/nodes.js";

export async function resolveNodes(ctx: RequestContext, ids: NodeId[]): Promise<(object | null)[]> {
  return (await findNodes(ctx, ids)).map((found) => {
    if (!found) return null;
    brandWithType(found.value, found.typename as never);
    return found.value;
  });
}
