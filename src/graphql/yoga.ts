import { GraphQLError } from "graphql";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import { AuthError, type Authenticate } from "../auth/authenticate.js";
import type { Logger } from "../config/logger.js";
import type { Database } from "../db/client.js";
import { DomainError } from "../domain/errors.js";
import type { GraphQLContext } from "./context.js";
import { schema } from "./schema/index.js";

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
  /** Pre-filled in GraphiQL's header editor (the embedded demo's key); never on PostgreSQL. */
  graphiqlApiKey?: string | null;
}): YogaServerInstance<ServerContext, GraphQLContext> {
  const { db, authenticate, logger } = options;
  return createYoga<ServerContext, GraphQLContext>({
    schema,
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
        return { db, actor, requestId, logger: logger.child({ requestId }) };
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
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (original instanceof DomainError) {
          return new GraphQLError(original.message, {
            extensions: { code: original.code, http: { status: original.status === 403 ? 403 : 200 } },
          });
        }
        if (error instanceof GraphQLError && !error.originalError) return error;
        if (error instanceof GraphQLError && error.originalError instanceof GraphQLError) return error.originalError;
        logger.error({ err: original instanceof Error ? original.stack : String(original) }, "unexpected GraphQL error");
        return new GraphQLError(message, { extensions: { code: "INTERNAL_SERVER_ERROR" } });
      },
    },
  });
}
