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

/** A result as it is answered: with data, without the statuses of its errors; a query's outage, without data. */
export function resultForHttp(result: ExecutionResult, isQuery: boolean): ExecutionResult {
  if (result.data == null || !result.errors?.some((e) => status(e) !== undefined)) return result;
  const outages = result.errors.filter((e) => status(e) === 503);
  if (outages.length && isQuery) return { errors: outages };
  return { ...result, errors: result.errors.map(withoutStatus) };
}

export function httpStatusPlugin(): Plugin {
  const queries = new WeakSet<object>();
  return {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation === "query") queries.add((args.contextValue as { request: object }).request);
    },
    onResultProcess({ request, result, setResult }) {
      if (Array.isArray(result) || Symbol.asyncIterator in result) return;
      setResult(resultForHttp(result as ExecutionResult, queries.has(request)));
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
