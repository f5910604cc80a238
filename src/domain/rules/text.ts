// Text from clients. PostgreSQL refuses NUL in text, and no other control character belongs in a
// name, key or filter; free text (notes, descriptions) may also hold line breaks and tabs.
import { z } from "zod";

// U+0000–U+001F and U+007F, except tab, line feed and carriage return.
const CONTROL_IN_FREE_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const ANY_CONTROL = /[\u0000-\u001F\u007F]/;

/** What is wrong with a piece of text, or null. */
export function textProblem(value: string, options: { max: number; freeText?: boolean }): string | null {
  if (value.length > options.max) return `must be at most ${options.max} characters`;
  if ((options.freeText ? CONTROL_IN_FREE_TEXT : ANY_CONTROL).test(value)) {
    return options.freeText ? "must not contain control characters other than line breaks and tabs" : "must not contain control characters";
  }
  return null;
}

function refined(options: { max: number; freeText?: boolean }) {
  return (value: string, ctx: z.RefinementCtx) => {
    const problem = textProblem(value, options);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  };
}

/** A name, key or filter value: trimmed, 1–max characters, no control characters. */
export const name = (max = 200) => z.string().trim().min(1, "must not be empty").superRefine(refined({ max }));

/** Free text (notes, descriptions): up to max characters, line breaks and tabs allowed. */
export const freeText = (max: number) => z.string().superRefine(refined({ max, freeText: true }));

