// Configures the schema builder only; types live in schema/<entity>.ts.
import SchemaBuilder from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { GraphQLError } from "graphql";
import { anyScopes, type Scope } from "../auth/actor.js";
import type PrismaTypes from "../db/generated/pothos-types.js";
import { getDatamodel } from "../db/generated/pothos-types.js";
import type { GraphQLContext } from "./context.js";
import { QUERY_LIMITS } from "./limits.js";

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  AuthScopes: { scope: Scope };
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    Decimal: { Input: string; Output: { toFixed(): string } | string | number };
    ID: { Input: string; Output: string | number | bigint };
    JSONObject: { Input: Record<string, unknown>; Output: object };
  };
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin, ComplexityPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.db.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === "production" ? null : "warn",
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodesOnConnection: true,
  },
  scopeAuth: {
    // Coarse checks only ("holds this scope somewhere"); the domain layer checks per workspace.
    authScopes: (ctx) => ({ scope: (scope: Scope) => anyScopes(ctx.actor).includes(scope) }),
    unauthorizedError: (_parent, _ctx, _info, result) =>
      new GraphQLError(result.message, { extensions: { code: "FORBIDDEN", http: { status: 403 } } }),
  },
  errors: { defaultTypes: [] },
  complexity: {
    defaultComplexity: 1,
    defaultListMultiplier: 10,
    limit: { complexity: QUERY_LIMITS.complexity, depth: QUERY_LIMITS.depth, breadth: QUERY_LIMITS.breadth },
    complexityError: (kind, result) =>
      new GraphQLError(
        `Query ${kind.toLowerCase()} ${result[kind.toLowerCase() as "depth"]} exceeds the limit of ${
          result[`max${kind}` as "maxDepth"]
        }`,
        { extensions: { code: "QUERY_TOO_COMPLEX", limit: kind.toLowerCase(), http: { status: 400 } } },
      ),
  },
});
