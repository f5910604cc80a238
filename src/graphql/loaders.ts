// Per-request batch loaders: values read beside a page (billing, workflows) in one statement for the page.
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
    executionBilling: executionLoader((executions) => executionBilling(ctx, executions), (e) => e.id, "billing"),
    workflow: executionLoader((executions) => workflowsOf(ctx, executions), (e) => e.workflowId, "workflow"),
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

/** A value per execution, read for a whole batch by one call that answers by `keyOf`. */
function executionLoader<V, K>(read: (executions: readonly Execution[]) => Promise<Map<K, V>>, keyOf: (execution: Execution) => K, what: string) {
  return new DataLoader<Execution, V, bigint>(
    async (executions) => {
      const found = await read(executions).catch((error: Error) => error);
      if (found instanceof Error) return executions.map(() => found);
      return executions.map((e) => found.get(keyOf(e)) ?? new Error(`no ${what} for execution ${e.id}`));
    },
    { cacheKeyFn: (execution) => execution.id },
  );
}
