// Limits on what one GraphQL operation may ask. Depth, aliases and tokens are checked while the
// document is validated (GraphQL Armor); complexity and breadth by Pothos before execution. Every
// rejection is an HTTP 400 whose message names the limit.
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import type { GraphQLError } from "graphql";

export const QUERY_LIMITS = {
  depth: 12,
  breadth: 200,
  complexity: 20_000,
  aliases: 30,
  tokens: 3_000,
} as const;

const reject = (limit: string) => (_ctx: unknown, error: GraphQLError) => {
  Object.assign(error.extensions as Record<string, unknown>, { code: "QUERY_TOO_COMPLEX", limit, http: { status: 400 } });
};

export function queryLimitPlugins() {
  return [
    maxDepthPlugin({ n: QUERY_LIMITS.depth, exposeLimits: true, onReject: [reject("depth")], propagateOnRejection: true }),
    maxAliasesPlugin({ n: QUERY_LIMITS.aliases, exposeLimits: true, onReject: [reject("aliases")], propagateOnRejection: true }),
    maxTokensPlugin({ n: QUERY_LIMITS.tokens, exposeLimits: true, onReject: [reject("tokens")], propagateOnRejection: true }),
  ];
}
