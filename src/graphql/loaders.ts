// Per-request batch loaders for values that are not Prisma relations.
import DataLoader from "dataloader";
import type { RequestContext } from "../domain/context.js";
import { executionBilling, type ExecutionBilling } from "../domain/executions.js";

export interface Loaders {
  executionBilling: DataLoader<bigint, ExecutionBilling>;
}

export function createLoaders(ctx: RequestContext): Loaders {
  return {
    executionBilling: new DataLoader(async (ids) => {
      const billing = await executionBilling(ctx, ids);
      return ids.map((id) => billing.get(id) ?? new Error(`no billing for execution ${id}`));
    }),
  };
}
