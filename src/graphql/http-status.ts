// GraphQL over HTTP: a response that carries data is a 2xx whatever its field errors say
// (https://graphql.github.io/graphql-over-http/draft/#sec-application-graphql-response-json).
// Errors keep their codes and headers (Retry-After); a request that could not execute (no data:
// authentication, validation, overload) answers with its error's status.
//
// One exception keeps outages loud: a query that met an outage or overload (a 503 error) answers
// 503 without data, so that clients and balancers retry it as a whole. Mutations keep their data:
// it may hold what was written (a key's secret is shown once).
import { GraphQLError, getOperationAST, type ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";

const status = (error: GraphQLError) => (error.extensions?.http as { status?: number } | undefined)?.status;

export function httpStatusPlugin(): Plugin {
  const queries = new WeakSet<Request>();
  return {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation === "query") queries.add((args.contextValue as { request: Request }).request);
    },
    onResultProcess({ request, result, setResult }) {
      if (Array.isArray(result) || Symbol.asyncIterator in result) return;
      const single = result as ExecutionResult;
      if (single.data == null || !single.errors?.some((e) => status(e) !== undefined)) return;
      const outages = single.errors.filter((e) => status(e) === 503);
      if (outages.length && queries.has(request)) return setResult({ errors: outages });
      setResult({ ...single, errors: single.errors.map(withoutStatus) });
    },
  };
}

function withoutStatus(error: GraphQLError): GraphQLError {
  if (status(error) === undefined) return error;
  const { status: _status, ...http } = error.extensions.http as Record<string, unknown>;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, http },
  });
}
