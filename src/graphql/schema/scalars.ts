import { DateTimeResolver } from "graphql-scalars";
import { GraphQLError } from "graphql";
import { builder } from "../builder.js";

builder.addScalarType("DateTime", DateTimeResolver);

const DECIMAL = /^-?\d{1,20}(\.\d{1,12})?$/;

// Money and credits travel as decimal strings so that no client parses them into a float.
builder.scalarType("Decimal", {
  description: 'An exact decimal number as a string, for example "1250.500000". Never a float.',
  serialize: (value) =>
    typeof value === "object" && value !== null && "toFixed" in value ? value.toFixed() : String(value),
  parseValue: (value) => parseDecimal(value),
  parseLiteral: (ast) => parseDecimal(ast.kind === "StringValue" || ast.kind === "IntValue" ? ast.value : undefined),
});

function parseDecimal(value: unknown): string {
  if (typeof value === "string" && DECIMAL.test(value)) return value;
  throw new GraphQLError('Decimal values are strings such as "12.50" (at most 20 digits and 12 decimals)', {
    extensions: { code: "BAD_USER_INPUT" },
  });
}
