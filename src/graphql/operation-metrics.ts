// Counts GraphQL operations and their durations by operation name and result, for /metrics.
import { getOperationAST, type ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Metrics } from "../http/metrics.js";

/** One request's operation, as the HTTP layer starts it and execution names it. */
export interface OperationRecord {
  started: bigint;
  executed: boolean;
  name?: string;
}

export const newOperationRecord = (): OperationRecord => ({ started: process.hrtime.bigint(), executed: false });

/** Counts one operation, from when its request was read to its result. */
export function observeOperation(metrics: Metrics, operation: OperationRecord, result: ExecutionResult): void {
  const seconds = Number(process.hrtime.bigint() - operation.started) / 1e9;
  metrics.observeGraphQL(operation.name, operation.executed, result.errors?.length ? "error" : "success", seconds);
}

/** The record travels in the server context, which yoga also spreads into the execution's context. */
export function operationMetricsPlugin(metrics: Metrics): Plugin<{ operation?: OperationRecord }, { operation?: OperationRecord }> {
  return {
    // Named only once the document is valid and the caller authenticated, so that nobody can fill
    // the bounded set of operation names with names of requests that were refused.
    onExecute({ args }) {
      const operation = (args.contextValue as { operation?: OperationRecord }).operation;
      if (!operation) return;
      operation.executed = true;
      operation.name = getOperationAST(args.document, args.operationName)?.name?.value;
    },
    onResultProcess({ serverContext, result }) {
      const operation = serverContext.operation;
      if (operation && !Array.isArray(result) && !(Symbol.asyncIterator in result)) observeOperation(metrics, operation, result);
    },
  };
}
