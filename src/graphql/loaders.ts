// Per-request batch loaders for values that are not Prisma relations.
import DataLoader from "dataloader";
import type { Execution, UsageRecord, Workflow } from "../db/generated/client.js";
import type { RequestContext } from "../domain/context.js";
import { executionBilling, workflowsOf, type ExecutionBilling } from "../domain/executions.js";
import { usageRecordsIn } from "../domain/usage.js";

export interface Loaders {
  executionBilling: DataLoader<Execution, ExecutionBilling, bigint>;
  /** An execution's workflow, batched over the page. */
  workflow: DataLoader<Execution, Workflow, bigint>;
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
    workflow: new DataLoader(
      async (executions) => {
        const found = await workflowsOf(ctx, executions).catch((error: Error) => error);
        if (found instanceof Error) return executions.map(() => found);
        return executions.map((e) => found.get(e.workflowId) ?? new Error(`no workflow for execution ${e.id}`));
      },
      { cacheKeyFn: (execution) => execution.id },
    ),
    duplicateRecord: new DataLoader(
      async (keys) => {
        const workspaces = [...new Set(keys.map((k) => k.workspaceId))];
        const found = new Map(await Promise.all(workspaces.map(async (id) => [id, await usageRecordsIn(ctx, id, keys.filter((k) => k.workspaceId === id).map((k) => k.id))] as const)));
        return keys.map((k) => found.get(k.workspaceId)!.get(k.id) ?? null);
      },
      { cacheKeyFn: (key) => `${key.workspaceId}:${key.id}` },
    ),
  };
}
