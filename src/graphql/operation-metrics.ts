// Counts GraphQL operations and their durations by operation name and result, for /metrics.
import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Metrics } from "../http/metrics.js";

export function operationMetricsPlugin(metrics: Metrics): Plugin {
  const operations = new WeakMap<Request, { started: bigint; executed: boolean; name?: string }>();
  return {
    onRequest({ request }) {
      operations.set(request, { started: process.hrtime.bigint(), executed: false });
    },
    // Named only once the document is valid and the caller authenticated, so that nobody can fill
    // the bounded set of operation names with names of requests that were refused.
    onExecute({ args }) {
      const operation = operations.get((args.contextValue as { request: Request }).request);
      if (!operation) return;
      operation.executed = true;
      operation.name = getOperationAST(args.document, args.operationName)?.name?.value;
    },
    onResultProcess({ request, result }) {
      const operation = operations.get(request);
      if (!operation || Array.isArray(result) || Symbol.asyncIterator in result) return;
      const seconds = Number(process.hrtime.bigint() - operation.started) / 1e9;
      metrics.observeGraphQL(operation.name, operation.executed, result.errors?.length ? "error" : "success", seconds);
    },
  };
}
