// GraphQL over HTTP (graphql-yoga): the request context from the HTTP layer plus per-request
// loaders, query limits, and errors that always carry a code.
import { GraphQLError } from "graphql";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import { requestLogger, type Logger } from "../config/logger.js";
import { asUnavailable } from "../db/faults.js";
import type { RequestContext } from "../domain/context.js";
import { AuthError, type RequestFacts } from "../http/request-context.js";
import { domainExtensions, executionErrorsPlugin, maskError } from "./error-masking.js";
import type { GraphQLContext } from "./context.js";
import type { Metrics } from "../http/metrics.js";
import { compiledExecutionPlugin } from "./compiled-execution.js";
import { queryLimitPlugins } from "./limits.js";
import { operationMetricsPlugin, type OperationRecord } from "./operation-metrics.js";
import { httpStatusPlugin } from "./http-status.js";
import { persistedOperationsPlugin } from "./persisted-operations.js";
import { createLoaders } from "./loaders.js";
import { schema } from "./schema/index.js";
import { DEFAULT_QUERY } from "./examples.js";
import { graphiqlPage } from "./graphiql.js";

export interface ServerContext {
  facts: Omit<RequestFacts, "authorization" | "workspaceId">;
  operation: OperationRecord;
}

/** What the HTTP layer asks of a request: its headers. */
export interface RequestHeaders {
  headers: { get(name: string): string | null };
}

export type ContextFor = (facts: RequestFacts) => Promise<RequestContext>;

/** Why a context could not be built, as the client is told: 401 with its challenge, 503, or masked with the request's id. */
export function contextError(error: unknown, facts: ServerContext["facts"], logger: Logger): GraphQLError {
  const unavailable = asUnavailable(error);
  if (unavailable) return new GraphQLError(unavailable.message, { extensions: domainExtensions(unavailable) });
  if (!(error instanceof AuthError)) return maskError(error, "Unexpected error.", { logger: requestLogger(logger, facts.requestId), requestId: facts.requestId });
  return new GraphQLError(error.message, {
    extensions: { code: "UNAUTHENTICATED", http: { status: 401, headers: { "WWW-Authenticate": error.challenge } } },
  });
}

/** An operation's context: the request's (its credentials checked), with its loaders. */
export async function graphQLContext(contextFor: ContextFor, facts: ServerContext["facts"], request: RequestHeaders): Promise<GraphQLContext> {
  // Every property named (`satisfies` keeps the list whole): a spread here cost about 2 µs a request.
  const ctx = await contextFor({
    requestId: facts.requestId,
    arrivedAt: facts.arrivedAt,
    onRateLimit: facts.onRateLimit,
    anonymous: facts.anonymous,
    authorization: request.headers.get("authorization") ?? undefined,
    workspaceId: request.headers.get("x-workspace-id"),
  } satisfies Record<keyof RequestFacts, unknown>);
  return Object.assign(ctx, { loaders: createLoaders(ctx) }); // a fresh object: no copy needed
}

export function createGraphQLServer(options: {
  logger: Logger;
  contextFor: ContextFor;
  metrics: Metrics;
  graphiqlApiKey: string | null;
  /** GRAPHQL_PERSISTED_ONLY: sessions may send only the dashboard's persisted operations. */
  persistedOnly: boolean;
}): YogaServerInstance<ServerContext, GraphQLContext> {
  const { logger, contextFor } = options;
  return createYoga<ServerContext, GraphQLContext>({
    schema,
    plugins: [
      persistedOperationsPlugin({ persistedOnly: options.persistedOnly }),
      ...queryLimitPlugins(),
      executionErrorsPlugin(),
      operationMetricsPlugin(options.metrics),
      httpStatusPlugin(),
      compiledExecutionPlugin(logger),
    ],
    graphqlEndpoint: "/graphql",
    // The HTTP layer has read the body under its own 1 MB limit (graphql-route.ts); yoga's check
    // would pipe it through a second stream.
    maxRequestBodySize: false,
    landingPage: false,
    logging: false,
    renderGraphiQL: graphiqlPage,
    graphiql: {
      title: "Billing gateway",
      defaultQuery: DEFAULT_QUERY,
      headers: JSON.stringify({ Authorization: `Bearer ${options.graphiqlApiKey ?? "<your bgk_ API key>"}` }),
    },
    context: async ({ request, facts }) => {
      try {
        return await graphQLContext(contextFor, facts, request);
      } catch (error) {
        throw contextError(error, facts, logger);
      }
    },
    // Execution errors are masked by executionErrorsPlugin first, with the request's id; this
    // pass sees the rest (syntax, validation) and leaves masked errors as they are.
    maskedErrors: { maskError: (error, message) => maskError(error, message, { logger }) },
  });
}
