// Text from clients. PostgreSQL refuses NUL in text, and no other control character belongs in a
// name, key or filter; free text (notes, descriptions) may also hold line breaks and tabs. Half a
// UTF-16 surrogate pair is refused too: it would be stored as U+FFFD, so a key would not match
// itself and an answer would echo what was not stored.
import { z } from "zod";

// U+0000–U+001F and U+007F, except tab, line feed and carriage return.
const CONTROL_IN_FREE_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const ANY_CONTROL = /[\u0000-\u001F\u007F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with the characters of a text, or null. */
export function controlProblem(value: string, freeText = false): string | null {
  if (LONE_SURROGATE.test(value)) return "must not contain unpaired UTF-16 surrogates";
  if (!(freeText ? CONTROL_IN_FREE_TEXT : ANY_CONTROL).test(value)) return null;
  return freeText ? "must not contain control characters other than line breaks and tabs" : "must not contain control characters";
}

/**
 * A zod check whose issue is what `problemOf` finds wrong, if anything. A check on zod's payload
 * rather than a superRefine, which makes a function for each value it checks: several a usage
 * record, thousands an ingestion batch.
 */
export const problemCheck = <T>(problemOf: (value: T) => string | null) => (payload: z.core.ParsePayload<T>) => {
  const problem = problemOf(payload.value);
  if (problem) payload.issues.push({ code: "custom", message: problem, input: payload.value });
};

const noControl = (freeText: boolean) => problemCheck((value: string) => controlProblem(value, freeText));

const atMost = (max: number) => `must be at most ${max} characters`;

/** A name, key or filter value: trimmed, 1–max characters, no control characters. */
export const name = (max = 200) => z.string().trim().min(1, "must not be empty").max(max, atMost(max)).check(noControl(false));

/** Free text (notes, descriptions): up to max characters, line breaks and tabs allowed. */
export const freeText = (max: number) => z.string().max(max, atMost(max)).check(noControl(true));
