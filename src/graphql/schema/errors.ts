// Expected failures are typed results: clients check __typename instead of parsing messages.
import { InsufficientCreditsError, NotFoundError, ValidationError } from "../../domain/errors.js";
import { builder } from "../builder.js";

export const ErrorInterface = builder.interfaceRef<Error & { code: string }>("Error").implement({
  description: "An expected failure of a mutation.",
  fields: (t) => ({
    message: t.exposeString("message"),
    code: t.exposeString("code"),
  }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({ entity: t.exposeString("entity") }),
});

const FieldIssueRef = builder.objectRef<{ path: string[]; message: string; code: string }>("FieldIssue").implement({
  fields: (t) => ({
    path: t.exposeStringList("path", { description: "Path of the offending input field." }),
    message: t.exposeString("message"),
    code: t.exposeString("code", { description: "INVALID_PARAMETER, MISSING_PARAMETER, INVALID_RANGE, RANGE_TOO_LARGE or INVALID_CURSOR." }),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({ issues: t.field({ type: [FieldIssueRef], resolve: (error) => error.issues }) }),
});

builder.objectType(InsufficientCreditsError, {
  name: "InsufficientCreditsError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof InsufficientCreditsError,
  fields: (t) => ({
    balance: t.field({ type: "Decimal", resolve: (error) => error.balance }),
    required: t.field({ type: "Decimal", resolve: (error) => error.required }),
  }),
});

/**
 * The error types every mutation result may hold. A missing scope is not among them: it is a
 * top-level FORBIDDEN error with HTTP 403, as for queries and REST routes.
 */
export const MUTATION_ERRORS = [ValidationError, NotFoundError];
