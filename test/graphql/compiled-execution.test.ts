// Queries and mutations run compiled by graphql-jit; subscriptions, operations whose variables do
// not coerce and documents answering a "__proto__" key are left to graphql-js.
import { envelop, useEngine, useSchema } from "@envelop/core";
import { execute, parse, specifiedRules, subscribe, validate, type ExecutionResult } from "graphql";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/config/logger.js";
import { compiledExecutionPlugin } from "../../src/graphql/compiled-execution.js";
import { schema } from "../../src/graphql/schema/index.js";

const lines: string[] = [];
const logger = createLogger("error", { write: (line: string) => void lines.push(line) });
const run = envelop({ plugins: [useEngine({ parse, validate, execute, subscribe, specifiedRules }), useSchema(schema), compiledExecutionPlugin(logger)] });

async function answer(query: string, variableValues: Record<string, unknown> = {}) {
  const { execute: exec, schema: envelopedSchema } = run();
  const document = parse(query);
  expect(validate(envelopedSchema, document)).toEqual([]);
  return (await exec({ schema: envelopedSchema, document, variableValues, contextValue: {} })) as ExecutionResult & { stringify?: unknown };
}

describe("compiled execution", () => {
  it("runs a query compiled (graphql-jit hands the result its own stringify) with graphql-js's answer", async () => {
    const result = await answer("query Floor { __typename }");
    expect(result).toMatchObject({ data: { __typename: "Query" } });
    expect(typeof result.stringify).toBe("function");
    expect(lines).toEqual([]);
  });

  it("leaves a document with a field answered as __proto__ to graphql-js, which answers every key", async () => {
    const result = await answer("{ __proto__: __typename, constructor: __typename }");
    expect(result.stringify).toBeUndefined();
    expect(JSON.stringify(result.data)).toBe('{"__proto__":"Query","constructor":"Query"}');
  });

  it("leaves an operation whose variables do not coerce to graphql-js, with its error", async () => {
    const query = "query ($n: Int) { workspace { creditTransactions(first: $n) { totalCount } } }";
    const result = await answer(query, { n: "two" });
    expect(result.stringify).toBeUndefined();
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]?.message).toMatch(/Variable "\$n" got invalid value "two"; Int cannot represent non-integer value/);
  });
});
