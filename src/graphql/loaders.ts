// Per-request batch loaders for values that are not Prisma relations.
import DataLoader from "dataloader";
import type { Execution } from "../db/generated/client.js";
import type { RequestContext } from "../domain/context.js";
import { executionBilling, type ExecutionBilling } from "../domain/executions.js";

export interface Loaders {
  executionBilling: DataLoader<Execution, ExecutionBilling, bigint>;
}

export function createLoaders(ctx: RequestContext): Loaders {
  return {
    executionBilling: new DataLoader(
      async (executions) => {
        const billing = await executionBilling(ctx, executions).catch((error: Error) => error);
        if (billing instanceof Error) return executions.map(() => billing);
        return executions.map((e) => billing.get(e.id) ?? new Error(`no billing for execution ${e.id}`));
      },
      { cacheKeyFn: (execution) => execution.id },
    ),
  };
}
