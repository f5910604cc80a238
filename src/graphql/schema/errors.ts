// Expected failures are typed results: clients check __typename instead of parsing messages.
import { InsufficientCreditsError, NotFoundError, ValidationError } from "../../domain/errors.js";
import { builder } from "../builder.js";

export const ErrorInterface = builder.interfaceRef<Error & { code: string }>("Error").implement({
  description: "An expected failure of a mutation.",
  fields: (t) => ({
    message: t.exposeString("message", { description: "What went wrong, for people; match on code or __typename, not on this text." }),
    code: t.exposeString("code", { description: "Stable code: NOT_FOUND, VALIDATION_ERROR (INVALID_CURSOR for a cursor) or INSUFFICIENT_CREDITS." }),
  }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  description: "What the mutation names does not exist or is not the caller's to see (the two are not told apart).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({ entity: t.exposeString("entity", { description: "The kind of object not found: Workspace, Organization or ApiKey." }) }),
});

const FieldIssueRef = builder.objectRef<{ path: string[]; message: string; code: string }>("FieldIssue").implement({
  description: "One refused input: where it is and why.",
  fields: (t) => ({
    path: t.exposeStringList("path", { description: "Path of the offending input field." }),
    message: t.exposeString("message", { description: "Why the value was refused, for people." }),
    code: t.exposeString("code", { description: "INVALID_PARAMETER, MISSING_PARAMETER, INVALID_RANGE, RANGE_TOO_LARGE or INVALID_CURSOR." }),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  description: "The input broke a rule (a value out of range, a bad text, a missing field), so the mutation did nothing.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({ issues: t.field({ type: [FieldIssueRef], description: "Each refused input.", resolve: (error) => error.issues }) }),
});

builder.objectType(InsufficientCreditsError, {
  name: "InsufficientCreditsError",
  description: "A debit would take the balance below zero and the workspace does not allow overdraft; nothing was written.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof InsufficientCreditsError,
  fields: (t) => ({
    balance: t.field({ type: "Decimal", description: "The balance in credits when the debit was tried.", resolve: (error) => error.balance }),
    required: t.field({ type: "Decimal", description: "Credits the debit needed.", resolve: (error) => error.required }),
  }),
});

/**
 * The error types every mutation result may hold. A missing scope is not among them: it is a
 * top-level FORBIDDEN error with HTTP 403, as for queries and REST routes.
 */
export const MUTATION_ERRORS = [ValidationError, NotFoundError];
