// What one operation may ask: every executed response reports its cost in extensions.cost, and an
// operation over a limit (complexity, breadth, depth, aliases, tokens) is an HTTP 400 that names it.
import { describe, expect } from "vitest";
import { QUERY_LIMITS } from "../../src/graphql/limits.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, type TestGateway } from "../helpers/gateway.js";

const test = gatewayTest();

async function run(gateway: TestGateway, key: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(key) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[]; extensions?: { cost?: unknown } } };
}

describe("operation limits and cost", () => {
  test("every executed response says its complexity and the maximum, which grow with the page size asked", async ({ gateway, tenants: { acme } }) => {
    const small = await run(gateway, acme.keys.read, `{ workspace { name } }`);
    // As Shopify counts: an object 1, a scalar nothing.
    expect(small.body.extensions?.cost).toEqual({ requestedComplexity: 1, maximumComplexity: QUERY_LIMITS.complexity });
    const page = (first: number) => run(gateway, acme.keys.read, `query($n: Int) { workspace { usageRecords(first: $n) { edges { node { id credits } } } } }`, { n: first });
    const [ten, hundred] = [await page(10), await page(100)];
    const cost = (r: typeof ten) => (r.body.extensions?.cost as { requestedComplexity: number }).requestedComplexity;
    expect(cost(hundred)).toBeGreaterThan(cost(ten));
    // Measures are remembered per document, operation and variables: the same document asked again
    // with other variables is measured with those.
    expect([cost(await page(10)), cost(await page(100))]).toEqual([cost(ten), cost(hundred)]);
    expect(cost(await page(500))).toBeGreaterThan(cost(hundred));
    // A refused field still executes: the cost is there too.
    const forbidden = await run(gateway, acme.keys.write, `{ workspace { creditBalance { credits } } }`);
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(forbidden.body.extensions?.cost).toMatchObject({ maximumComplexity: QUERY_LIMITS.complexity });
  });

  test("refuses an operation over each limit with 400 QUERY_TOO_COMPLEX naming the limit", async ({ gateway, tenants: { acme } }) => {
    const refused = async (query: string, limit: string) => {
      const result = await run(gateway, acme.keys.read, query);
      expect([result.status, result.body.data ?? null, result.body.errors?.[0]?.extensions?.code, result.body.errors?.[0]?.extensions?.limit]).toEqual([400, null, "QUERY_TOO_COMPLEX", limit]);
      return result;
    };
    // Twice 500 lots, each with its ledger row, (ten counted) allocations and their lots' rows: 23,003.
    const lots = `creditLots(first: 500) { nodes { transaction { allocations { lot { transaction { id } } } } } }`;
    const complex = await refused(`{ workspace { a: ${lots} b: ${lots} } }`, "complexity");
    expect(complex.body.errors?.[0]?.message).toMatch(/complexity \d+ exceeds the limit of 20000/);
    expect((complex.body.extensions?.cost as { requestedComplexity: number }).requestedComplexity).toBeGreaterThan(QUERY_LIMITS.complexity);
    await refused(`{ workspace { ${Array(QUERY_LIMITS.breadth + 1).fill("name").join(" ")} } }`, "breadth");
    const nested = (depth: number): string => (depth === 0 ? "id" : `organization { workspaces { ${nested(depth - 1)} } }`);
    await refused(`{ workspace { ${nested(7)} } }`, "depth");
    await refused(`{ ${Array.from({ length: QUERY_LIMITS.aliases + 1 }, (_, i) => `a${i}: viewer { kind }`).join(" ")} }`, "aliases");
    await refused(`{ viewer { ${Array(QUERY_LIMITS.tokens).fill("kind").join(" ")} } }`, "tokens");
  });
});
