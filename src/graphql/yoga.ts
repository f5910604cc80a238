// GraphQL over HTTP (graphql-yoga): the request context from the HTTP layer plus per-request
// loaders, query limits, and errors that always carry a code.
import { PothosValidationError } from "@pothos/core";
import { GraphQLError } from "graphql";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import { requestScope, type Logger } from "../config/logger.js";
import { asUnavailable } from "../db/faults.js";
import type { RequestContext } from "../domain/context.js";
import { DomainError, RateLimitedError, UnavailableError, ValidationError } from "../domain/errors.js";
import { AuthError, type RequestFacts } from "../http/request-context.js";
import type { GraphQLContext } from "./context.js";
import type { Metrics } from "../http/metrics.js";
import { queryLimitPlugins } from "./limits.js";
import { operationMetricsPlugin } from "./operation-metrics.js";
import { httpStatusPlugin } from "./http-status.js";
import { persistedOperationsPlugin } from "./persisted-operations.js";
import { createLoaders } from "./loaders.js";
import { schema } from "./schema/index.js";
import { DEFAULT_QUERY } from "./examples.js";
import { graphiqlPage } from "./graphiql.js";

export interface ServerContext {
  facts: Omit<RequestFacts, "authorization" | "workspaceId">;
}

export function createGraphQLServer(options: {
  logger: Logger;
  contextFor: (facts: RequestFacts) => Promise<RequestContext>;
  metrics: Metrics;
  graphiqlApiKey: string | null;
  /** GRAPHQL_PERSISTED_ONLY: sessions may send only the dashboard's persisted operations. */
  persistedOnly: boolean;
}): YogaServerInstance<ServerContext, GraphQLContext> {
  const { logger, contextFor } = options;
  return createYoga<ServerContext, GraphQLContext>({
    schema,
    plugins: [persistedOperationsPlugin({ persistedOnly: options.persistedOnly }), ...queryLimitPlugins(), operationMetricsPlugin(options.metrics), httpStatusPlugin()],
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
        const ctx = await contextFor({ ...facts, authorization: request.headers.get("authorization") ?? undefined, workspaceId: request.headers.get("x-workspace-id") });
        return { ...ctx, loaders: createLoaders(ctx) };
      } catch (error) {
        const unavailable = asUnavailable(error);
        if (unavailable) throw new GraphQLError(unavailable.message, { extensions: domainExtensions(unavailable) });
        if (!(error instanceof AuthError)) throw error;
        throw new GraphQLError(error.message, {
          extensions: { code: "UNAUTHENTICATED", http: { status: 401, headers: { "WWW-Authenticate": error.challenge } } },
        });
      }
    },
    maskedErrors: {
      maskError(error, message) {
        const original = isGraphQLError(error) ? error.originalError : error;
        const path = isGraphQLError(error) ? error.path : undefined;
        if (original instanceof DomainError) return new GraphQLError(original.message, { path, extensions: domainExtensions(original) });
        // A subscription's credentials, checked again before an event, no longer hold (a revoked key).
        if (original instanceof AuthError) return new GraphQLError(original.message, { path, extensions: { code: "UNAUTHENTICATED" } });
        const unavailable = asUnavailable(original);
        if (unavailable) {
          logger.warn({ code: unavailable.code, err: (original as Error).message }, "database fault answered 503");
          return new GraphQLError(unavailable.message, { path, extensions: domainExtensions(unavailable) });
        }
        // Pothos rejects malformed input such as global ids that do not decode.
        if (original instanceof PothosValidationError) {
          return new GraphQLError(original.message, { path, extensions: { code: "BAD_USER_INPUT", http: { status: 400 } } });
        }
        if (isGraphQLError(error) && (!original || isGraphQLError(original))) {
          // Raised on purpose, with its code (limits, authentication). A limit is a 400 whatever the Accept
          // header: yoga marks parse-time errors (the token limit) for its legacy 200, which must not apply.
          if (error.extensions.code === "QUERY_TOO_COMPLEX") return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, http: { status: 400 } } });
          if (error.extensions.code) return error;
          // Without a path, an error of the request itself (syntax, validation, variable coercion): the client's.
          if (!path) return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code: "BAD_USER_INPUT", http: { status: 400 } } });
        }
        logger.error({ err: original instanceof Error ? original.stack : error instanceof Error ? error.stack : String(error) }, "unexpected GraphQL error");
        const requestId = requestScope.getStore()?.requestId;
        return new GraphQLError(requestId ? `Unexpected error; quote request id ${requestId}` : message, { path, extensions: { code: "INTERNAL_SERVER_ERROR", requestId } });
      },
    },
  });
}

/** The code, HTTP status and details of a domain error, as REST answers them too. */
function domainExtensions(error: DomainError): Record<string, unknown> {
  const retryAfter = error instanceof RateLimitedError || error instanceof UnavailableError ? error.retryAfterSeconds : undefined;
  return {
    code: error.code,
    ...(error instanceof ValidationError ? { param: error.param, issues: error.issues } : {}),
    ...(retryAfter !== undefined ? { retryAfter } : {}),
    // "Not found" is a null, not an error; the others set the status of a response without data.
    ...(error.status !== 404 && error.status !== 402
      ? { http: { status: error.status, ...(retryAfter !== undefined ? { headers: { "Retry-After": String(retryAfter) } } : {}) } }
      : {}),
  };
}

// By name rather than instanceof: test runners may load graphql's ESM and CJS builds side by side.
function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === "GraphQLError";
}
