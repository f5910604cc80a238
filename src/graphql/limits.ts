/** Limits on what one GraphQL operation may ask; each rejection names the limit. */
export const QUERY_LIMITS = {
  depth: 12,
  breadth: 200,
  complexity: 20_000,
  aliases: 30,
  tokens: 2_000,
  pageSizeDefault: 50,
  pageSizeMax: 500,
} as const;
