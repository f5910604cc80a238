// Per-request batch loaders for values that are not Prisma relations.
import DataLoader from "dataloader";
import type { Database } from "../db/client.js";
import { executionBilling, type ExecutionBilling } from "../domain/executions.js";

export interface Loaders {
  executionBilling: DataLoader<bigint, ExecutionBilling>;
}

export function createLoaders(db: Database): Loaders {
  return {
    executionBilling: new DataLoader(async (ids) => {
      const billing = await executionBilling(db.prisma, ids);
      return ids.map((id) => billing.get(id) ?? new Error(`no billing for execution ${id}`));
    }),
  };
}
