// DateTime and Decimal read client values with the domain's rules: strict ISO 8601 date-times
// with an offset (real calendar dates, years 1970–9999), and decimals as strings, never floats.
import { GraphQLError, Kind } from "graphql";
import { readInstant } from "../../domain/rules/instants.js";
import { decimalProblem } from "../../domain/rules/numbers.js";
import { builder } from "../builder.js";

const badInput = (message: string) => new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } });

function parseDateTime(value: unknown): Date {
  if (typeof value !== "string") throw badInput("DateTime values are ISO 8601 strings such as 2026-03-08T09:30:00Z");
  const parsed = readInstant(value);
  if (!parsed.ok) throw badInput(`DateTime ${parsed.problem}`);
  return parsed.value;
}

builder.scalarType("DateTime", {
  description: "An instant as an ISO 8601 date-time with an offset, for example 2026-03-08T09:30:00.000Z; answers are always UTC.",
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

/** The syntax every Decimal argument shares; each domain function then fits it to its own column. */
const ANY_DECIMAL = { precision: 32, scale: 12 };

// Money and credits travel as decimal strings so that no client parses them into a float.
builder.scalarType("Decimal", {
  description: 'An exact decimal number as a string, for example "1250.500000". Never a float.',
  serialize: (value) => (typeof value === "object" && value !== null && "toFixed" in value ? value.toFixed() : String(value)),
  parseValue: (value) => parseDecimal(value),
  parseLiteral: (ast) => parseDecimal(ast.kind === Kind.STRING || ast.kind === Kind.INT ? ast.value : undefined),
});

function parseDecimal(value: unknown): string {
  if (typeof value === "string" && decimalProblem(value, ANY_DECIMAL) === null) return value;
  throw badInput('Decimal values are strings such as "12.50" (at most 20 digits and 12 decimals)');
}
