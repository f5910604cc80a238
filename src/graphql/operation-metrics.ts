// Counts GraphQL operations and their durations by operation name and result, for /metrics.
import { getOperationAST, Kind, type DocumentNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Metrics } from "../http/metrics.js";

export function operationMetricsPlugin(metrics: Metrics): Plugin {
  const operations = new WeakMap<Request, { started: bigint; name?: string | null }>();
  return {
    onRequest({ request }) {
      operations.set(request, { started: process.hrtime.bigint() });
    },
    onParams({ params, request }) {
      const operation = operations.get(request);
      if (operation) operation.name = params.operationName;
    },
    // The name in the document, when the client did not send one: also for operations that fail validation.
    onParse({ context }) {
      const operation = operations.get((context as { request: Request }).request);
      return ({ result }) => {
        if (operation && result && (result as DocumentNode).kind === Kind.DOCUMENT) {
          operation.name = getOperationAST(result as DocumentNode, operation.name)?.name?.value ?? operation.name;
        }
      };
    },
    onResultProcess({ request, result }) {
      const operation = operations.get(request);
      if (!operation || Array.isArray(result) || Symbol.asyncIterator in result) return;
      const seconds = Number(process.hrtime.bigint() - operation.started) / 1e9;
      metrics.observeGraphQL(operation.name, result.errors?.length ? "error" : "success", seconds);
    },
  };
}
