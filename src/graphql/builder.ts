// Configures the schema builder only; types live in schema/<entity>.ts. Authorization is not
// configured here: every resolver asks the domain, which asks the request's access object.
import SchemaBuilder, { PothosValidationError } from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import type PrismaTypes from "../db/generated/pothos-types.js";
import { getDatamodel } from "../db/generated/pothos-types.js";
import { decodeGlobalId, encodeGlobalId } from "../domain/rules/global-ids.js";
import type { GraphQLContext } from "./context.js";
import { NODE_TYPES } from "../domain/nodes.js";
import { fieldComplexity } from "./limits.js";
import { resolveNodes } from "./nodes.js";


export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Decimal: { Input: string; Output: { toFixed(): string } | string | number };
    ID: { Input: string; Output: string | number | bigint };
    JSONObject: { Input: Record<string, unknown>; Output: object };
  };
}>({
  plugins: [ErrorsPlugin, PrismaPlugin, RelayPlugin, ComplexityPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.db.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    // A selection that a resolver forgets to pass on is a bug: the suite fails on it. Outside the
    // tests it is not reported (a console warning would break the one-JSON-object-per-line log).
    onUnusedQuery: process.env.VITEST ? "error" : null,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodesOnConnection: true,
    encodeGlobalID: (typename, id) => encodeGlobalId(typename, id),
    // A malformed id is bad input to GraphQL clients (BAD_USER_INPUT), as Pothos reports its own.
    decodeGlobalID: (globalId) => {
      try {
        return decodeGlobalId(globalId, NODE_TYPES);
      } catch (error) {
        throw new PothosValidationError((error as Error).message);
      }
    },
    nodeQueryOptions: { resolve: (_root, { id }, ctx) => resolveNodes(ctx, [id]).then(([node]) => node ?? null) as never },
    nodesQueryOptions: { resolve: (_root, { ids }, ctx) => resolveNodes(ctx, ids) as never },
  },
  errors: { defaultTypes: [] },
  // Each field's complexity; the limits are checked once per operation (limits.ts), which also reports the cost.
  complexity: { fieldComplexity },
});
