// Applying a rule to one argument outside a zod object: the failure names the argument.
import type { z } from "zod";
import { ValidationError, type IssueCode } from "../errors.js";
import { name } from "./text.js";

/** Parses one value with a rule; the first problem becomes a ValidationError naming `field`. */
export function checked<S extends z.ZodType>(schema: S, value: unknown, field: string, code: IssueCode = "INVALID_PARAMETER"): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw ValidationError.single(field, parsed.error.issues[0]!.message, code);
}

/** An optional name-like argument (a filter, a slug): null when absent, else checked. */
export function checkedName(value: string | null | undefined, field: string, max = 200): string | null {
  return value == null ? null : checked(name(max), value, field);
}

/** Parses input with a zod schema; every failure becomes an issue with its field path. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ValidationError(parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message, code: "INVALID_PARAMETER" })));
}
