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
    nodesOnConnection: { description: "The rows of this page, without their cursors." },
    encodeGlobalID: (typename, id) => encodeGlobalId(typename, id),
    // A malformed id is bad input to GraphQL clients (BAD_USER_INPUT), as Pothos reports its own.
    decodeGlobalID: (globalId) => {
      try {
        return decodeGlobalId(globalId, NODE_TYPES);
      } catch (error) {
        throw new PothosValidationError((error as Error).message);
      }
    },
    nodeQueryOptions: {
      description:
        "Any object by its global id, for whoever may see it; null when the id is unknown or not the caller's (usage records, executions, workflows, ledger rows and lots need read:billing; API keys need admin, or are the calling key).",
      args: { id: { description: "A global id, as an object's id field gives it." } },
      resolve: (_root, { id }, ctx) => resolveNodes(ctx, [id]).then(([node]) => node ?? null) as never,
    },
    nodesQueryOptions: {
      description: "Objects by global ids, in the order asked, with the visibility rules of node(id); null for each id that is unknown or not the caller's.",
      args: { ids: { description: "Global ids; each counts once towards the operation's complexity." } },
      resolve: (_root, { ids }, ctx) => resolveNodes(ctx, ids) as never,
    },
    nodeTypeOptions: { description: "An object with a global id, which node(id) and nodes(ids) fetch again." },
    idFieldOptions: { description: "Global id (Relay): opaque; pass it to node(id) or to arguments that take this type's id." },
    pageInfoTypeOptions: { description: "Where a page sits in its connection, and the cursors to page on from it." },
    hasNextPageFieldOptions: { description: "Whether rows follow this page (paging backwards with last alone: whether before was given)." },
    hasPreviousPageFieldOptions: { description: "Whether rows precede this page (paging forwards with first: whether after was given or last cut the page)." },
    startCursorFieldOptions: { description: "Cursor of the page's first row, for before; null when the page is empty." },
    endCursorFieldOptions: { description: "Cursor of the page's last row, for after; null when the page is empty." },
    pageInfoFieldOptions: { description: "Whether there are more rows, and the cursors of this page's ends." },
    edgesFieldOptions: { description: "The rows of this page, each with its cursor." },
    nodeFieldOptions: { description: "The row." },
    cursorFieldOptions: { description: "Opaque signed cursor of this row, valid only for this connection of this workspace." },
    firstArgOptions: { description: "Rows from the front, 1–500; 50 when neither first nor last is given. With last, the last M of these N." },
    lastArgOptions: { description: "Rows from the end, 1–500; with first, the last M of the first N." },
    afterArgOptions: { description: "A cursor this connection issued (same workspace): rows after that row." },
    beforeArgOptions: { description: "A cursor this connection issued (same workspace): rows before that row." },
  },
  errors: { defaultTypes: [] },
  // Each field's complexity; the limits are checked once per operation (limits.ts), which also reports the cost.
  complexity: { fieldComplexity },
});
