import { PothosValidationError } from "@pothos/core";
import { GraphQLError } from "graphql";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import { AuthError, type Authenticate } from "../auth/authenticate.js";
import type { Logger } from "../config/logger.js";
import type { Database } from "../db/client.js";
import { DomainError, ValidationError } from "../domain/errors.js";
import type { GraphQLContext } from "./context.js";
import { createLoaders } from "./loaders.js";
import { schema } from "./schema/index.js";
import { queryLimitPlugins } from "./limits.js";

export interface ServerContext {
  requestId: string;
}

export const GRAPHIQL_DEFAULT_QUERY = `# Your credit balance and the workspaces this key can see.
query Dashboard {
  viewer {
    kind
    scopes
    workspaces { slug name timeZone }
  }
  workspace {
    name
    monthlyUsageLimitUsd
    creditBalance { credits usdValue asOf }
  }
}
`;

export function createGraphQLServer(options: {
  db: Database;
  authenticate: Authenticate;
  logger: Logger;
  focusProviderName: string;
  /** Pre-filled in GraphiQL's header editor (the embedded demo's key); never on PostgreSQL. */
  graphiqlApiKey?: string | null;
}): YogaServerInstance<ServerContext, GraphQLContext> {
  const { db, authenticate, logger, focusProviderName } = options;
  return createYoga<ServerContext, GraphQLContext>({
    schema,
    plugins: queryLimitPlugins(),
    graphqlEndpoint: "/graphql",
    landingPage: false,
    logging: false,
    graphiql: {
      title: "Billing gateway",
      defaultQuery: GRAPHIQL_DEFAULT_QUERY,
      headers: JSON.stringify({ Authorization: `Bearer ${options.graphiqlApiKey ?? "<your bgk_ API key>"}` }),
    },
    context: async ({ request, requestId }) => {
      try {
        const actor = await authenticate(
          request.headers.get("authorization") ?? undefined,
          request.headers.get("x-workspace-id"),
        );
        return { db, actor, requestId, logger: logger.child({ requestId }), loaders: createLoaders(db), focusProviderName };
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        throw new GraphQLError(error.message, {
          extensions: {
            code: "UNAUTHENTICATED",
            http: { status: 401, headers: { "WWW-Authenticate": error.challenge } },
          },
        });
      }
    },
    maskedErrors: {
      maskError(error, message) {
        const original = isGraphQLError(error) ? error.originalError : error;
        if (original instanceof DomainError) {
          return new GraphQLError(original.message, {
            path: isGraphQLError(error) ? error.path : undefined,
            extensions: {
              code: original.code,
              ...(original instanceof ValidationError ? { issues: original.issues } : {}),
              // A missing scope is a 403 and bad arguments a 400; "not found" is a null, not an error.
              ...(original.status === 403 || original.status === 400 ? { http: { status: original.status } } : {}),
            },
          });
        }
        // Pothos rejects malformed input such as global ids that do not decode.
        if (original instanceof PothosValidationError) {
          return new GraphQLError(original.message, {
            path: isGraphQLError(error) ? error.path : undefined,
            extensions: { code: "BAD_USER_INPUT", http: { status: 400 } },
          });
        }
        // Errors raised on purpose as GraphQL errors (auth, limits, bad input) pass unmasked.
        if (isGraphQLError(error) && (!original || isGraphQLError(original))) return error;
        logger.error({ err: original instanceof Error ? original.stack : String(original) }, "unexpected GraphQL error");
        return new GraphQLError(message, { extensions: { code: "INTERNAL_SERVER_ERROR" } });
      },
    },
  });
}

// By name rather than instanceof: test runners may load graphql's ESM and CJS builds side by side.
function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === "GraphQLError";
}
