// Per-request batch loaders: values read beside a page (billing, workflows, the rows a page's rows
// name) in one statement for the page.
import DataLoader from "dataloader";
import type { CreditLot, Execution, UsageRecord, Workflow } from "../db/generated/client.js";
import type { RequestContext } from "../domain/context.js";
import { executionBilling, workflowsOf, type ExecutionBilling } from "../domain/executions.js";
import { creditLotsIn } from "../domain/ledger.js";
import { usageRecordsIn } from "../domain/usage.js";

/** A row named by its workspace and id. */
export interface RowKey {
  workspaceId: string;
  id: bigint;
}

export interface Loaders {
  executionBilling: DataLoader<Execution, ExecutionBilling, bigint>;
  /** An execution's workflow, batched over the page. */
  workflow: DataLoader<Execution, Workflow, bigint>;
  /** Usage records: those stored earlier under the keys a recordUsage batch repeated, those USAGE ledger rows debit. */
  usageRecord: DataLoader<RowKey, UsageRecord | null, string>;
  /** The lots that allocations name. */
  creditLot: DataLoader<RowKey, CreditLot | null, string>;
}

export function createLoaders(ctx: RequestContext): Loaders {
  return {
    executionBilling: executionLoader((executions) => executionBilling(ctx, executions), (e) => e.id, "billing"),
    workflow: executionLoader((executions) => workflowsOf(ctx, executions), (e) => e.workflowId, "workflow"),
    usageRecord: rowLoader((workspaceId, ids) => usageRecordsIn(ctx, workspaceId, ids)),
    creditLot: rowLoader((workspaceId, ids) => creditLotsIn(ctx, workspaceId, ids)),
  };
}

/** Rows by workspace and id, read once per workspace for a whole batch; null for a row not found (or not the caller's to see). */
function rowLoader<V>(read: (workspaceId: string, ids: bigint[]) => Promise<Map<bigint, V>>) {
  return new DataLoader<RowKey, V | null, string>(
    async (keys) => {
      const workspaces = [...new Set(keys.map((k) => k.workspaceId))];
      const found = new Map(await Promise.all(workspaces.map(async (id) => [id, await read(id, keys.filter((k) => k.workspaceId === id).map((k) => k.id))] as const)));
      return keys.map((k) => found.get(k.workspaceId)!.get(k.id) ?? null);
    },
    { cacheKeyFn: (key) => `${key.workspaceId}:${key.id}` },
  );
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
