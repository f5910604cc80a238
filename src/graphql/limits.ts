// Limits on what one GraphQL operation may ask. Depth, aliases and tokens are checked while the
// document is validated (GraphQL Armor); complexity and breadth once per operation before it runs,
// from the Pothos complexity of each field. Every rejection is an HTTP 400 whose message names the
// limit, and every executed response says its cost, as Shopify's do, so a client sees its margin.
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { complexityFromQuery } from "@pothos/plugin-complexity";
import { getNamedType, getNullableType, getOperationAST, GraphQLError, isLeafType, isListType, Kind, type DocumentNode, type GraphQLField } from "graphql";
import type { Plugin } from "graphql-yoga";
import { GRAPHQL_PAGE } from "../domain/connections.js";

export const QUERY_LIMITS = {
  depth: 12,
  breadth: 200,
  complexity: 20_000,
  aliases: 30,
  tokens: 3_000,
} as const;

/**
 * What a field costs, as Shopify counts: a scalar or enum nothing, an object 1, times the rows it
 * may return for everything selected below it. A connection returns the page asked (first or last,
 * else the default page), and its edges and nodes are that page, not a further multiple;
 * `nodes(ids)` returns one per id; any other list counts as ten.
 */
export function fieldComplexity<C>(args: Record<string, unknown>, _ctx: C, field: GraphQLField<unknown, C>) {
  if (isLeafType(getNamedType(field.type))) return 0;
  const page = [args.first, args.last].find((n): n is number => typeof n === "number");
  if (page !== undefined || field.args.some((arg) => arg.name === "first")) return { field: 1, multiplier: page ?? GRAPHQL_PAGE.default };
  if (Array.isArray(args.ids)) return { field: 1, multiplier: args.ids.length };
  if (!isListType(getNullableType(field.type))) return 1;
  const pageOfConnection = (field.name === "edges" && getNamedType(field.type).name.endsWith("Edge")) || field.name === "nodes";
  return { field: 1, multiplier: pageOfConnection ? 1 : 10 };
}

const tooComplex = (message: string, limit: string, extensions: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code: "QUERY_TOO_COMPLEX", limit, http: { status: 400 }, ...extensions } });

const reject = (limit: string) => (_ctx: unknown, error: GraphQLError) => {
  Object.assign(error.extensions as Record<string, unknown>, { code: "QUERY_TOO_COMPLEX", limit, http: { status: 400 } });
};

type Measured = ReturnType<typeof complexityFromQuery> | null;

/** Longest variables (as JSON) whose measure is remembered; operations without any are the common case. */
const REMEMBERED_VARIABLES_CHARS = 512;
const REMEMBERED_PER_DOCUMENT = 64;
/**
 * Measures by document (yoga's parser cache hands back the same object for the same text), then by
 * operation name and variables: a field's complexity depends on nothing else (fieldComplexity reads
 * only its arguments), and walking the document cost about 2% of the smallest request's CPU.
 */
const measuredByDocument = new WeakMap<DocumentNode, Map<string, Measured>>();

function rememberedComplexity(...args: Parameters<typeof operationComplexity>): Measured {
  const [document, operationName, , , variables] = args;
  const json = JSON.stringify(variables);
  if (json.length > REMEMBERED_VARIABLES_CHARS) return operationComplexity(...args);
  let measures = measuredByDocument.get(document);
  if (!measures) measuredByDocument.set(document, (measures = new Map()));
  const key = `${operationName ?? ""}\n${json}`;
  let measured = measures.get(key);
  if (measured === undefined) {
    measured = operationComplexity(...args);
    if (measures.size < REMEMBERED_PER_DOCUMENT) measures.set(key, measured);
  }
  return measured;
}

/** Complexity, depth and breadth of the operation that runs, with the variables it runs with. */
function operationComplexity(document: DocumentNode, operationName: string | null | undefined, schema: Parameters<typeof complexityFromQuery>[1]["schema"], context: object, variables: Record<string, unknown>): Measured {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  const fragments = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
  try {
    return complexityFromQuery({ kind: Kind.DOCUMENT, definitions: [operation, ...fragments] }, { schema, ctx: context, variables });
  } catch {
    return null; // variables that do not coerce: execution reports them
  }
}

/** Refuses operations over the complexity or breadth limit and adds `extensions.cost` to every executed response. */
function costPlugin(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const measured = rememberedComplexity(args.document, args.operationName, args.schema, args.contextValue as object, (args.variableValues ?? {}) as Record<string, unknown>);
      if (!measured) return;
      const cost = { requestedComplexity: measured.complexity, maximumComplexity: QUERY_LIMITS.complexity };
      const over =
        measured.complexity > QUERY_LIMITS.complexity ? tooComplex(`Query complexity ${measured.complexity} exceeds the limit of ${QUERY_LIMITS.complexity}`, "complexity")
        : measured.breadth > QUERY_LIMITS.breadth ? tooComplex(`Query breadth ${measured.breadth} exceeds the limit of ${QUERY_LIMITS.breadth}`, "breadth")
        : measured.depth > QUERY_LIMITS.depth ? tooComplex(`Query depth ${measured.depth} exceeds the limit of ${QUERY_LIMITS.depth}`, "depth")
        : null;
      if (over) return setResultAndStopExecution({ errors: [over], extensions: { cost } });
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result) return;
          setResult({ ...result, extensions: { ...result.extensions, cost } });
        },
      };
    },
  };
}

export function queryLimitPlugins(): Plugin[] {
  return [
    maxDepthPlugin({ n: QUERY_LIMITS.depth, exposeLimits: true, onReject: [reject("depth")], propagateOnRejection: true }),
    maxAliasesPlugin({ n: QUERY_LIMITS.aliases, exposeLimits: true, onReject: [reject("aliases")], propagateOnRejection: true }),
    maxTokensPlugin({ n: QUERY_LIMITS.tokens, exposeLimits: true, onReject: [reject("tokens")], propagateOnRejection: true }),
    costPlugin(),
  ];
}
