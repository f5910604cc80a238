// Per-request batch loaders for values that are not Prisma relations.
import DataLoader from "dataloader";
import type { Execution, UsageRecord } from "../db/generated/client.js";
import type { RequestContext } from "../domain/context.js";
import { executionBilling, type ExecutionBilling } from "../domain/executions.js";
import { duplicateRecords } from "../domain/usage.js";

export interface Loaders {
  executionBilling: DataLoader<Execution, ExecutionBilling, bigint>;
  /** Records stored earlier under the keys that a recordUsage batch repeated, by workspace and id. */
  duplicateRecord: DataLoader<{ workspaceId: string; id: bigint }, UsageRecord | null, string>;
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
    duplicateRecord: new DataLoader(
      async (keys) => {
        // A batch's duplicates are all of one workspace.
        const found = await duplicateRecords(ctx, keys[0]!.workspaceId, keys.map((k) => k.id)).catch((error: Error) => error);
        if (found instanceof Error) return keys.map(() => found);
        return keys.map((k) => (k.workspaceId === keys[0]!.workspaceId ? found.get(k.id) ?? null : new Error("duplicates of two workspaces in one batch")));
      },
      { cacheKeyFn: (key) => `${key.workspaceId}:${key.id}` },
    ),
  };
}
