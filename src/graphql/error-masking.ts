// What a GraphQL error says to the client: a domain error its code, status and details; anything
// unexpected only "quote request id …", its stack logged once with that id. Execution errors are
// masked where the request's context is at hand (executionErrorsPlugin), so that the id is known;
// yoga's own masking pass, which has no context, sees the rest and leaves masked errors alone.
import { PothosValidationError } from "@pothos/core";
import { GraphQLError, type ExecutionResult } from "graphql";
import { handleStreamOrSingleExecutionResult, type Plugin } from "graphql-yoga";
import type { Logger } from "../config/logger.js";
import { asUnavailable } from "../db/faults.js";
import { DomainError, RateLimitedError, UnavailableError, ValidationError } from "../domain/errors.js";
import { AuthError } from "../http/request-context.js";

/** Where an error is logged, and the request id its answer names (none outside a request's context). */
export interface ErrorScope {
  logger: Logger;
  requestId?: string;
}

/** The code, HTTP status and details of a domain error, as REST answers them too. */
export function domainExtensions(error: DomainError): Record<string, unknown> {
  const retryAfter = error instanceof RateLimitedError || error instanceof UnavailableError ? error.retryAfterSeconds : undefined;
  return {
    code: error.code,
    ...(error instanceof ValidationError ? { param: error.param, issues: error.issues } : {}),
    ...(retryAfter !== undefined ? { retryAfter } : {}),
    // "Not found" is a null, not an error; the others set the status of a response without data.
    ...(error.status !== 404 && error.status !== 402
      ? { http: { status: error.status, ...(retryAfter !== undefined ? { headers: { "Retry-After": String(retryAfter) } } : {}) } }
      : {}),
  };
}

// By name rather than instanceof: test runners may load graphql's ESM and CJS builds side by side.
function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === "GraphQLError";
}

/** `faultsLogged`: fault codes already logged for the same result, which are not logged again. */
export function maskError(error: unknown, message: string, scope: ErrorScope, faultsLogged?: Set<string>): GraphQLError {
  const original = isGraphQLError(error) ? error.originalError : error;
  const path = isGraphQLError(error) ? error.path : undefined;
  if (original instanceof DomainError) return new GraphQLError(original.message, { path, extensions: domainExtensions(original) });
  // A subscription's credentials, checked again before an event, no longer hold (a revoked key).
  if (original instanceof AuthError) return new GraphQLError(original.message, { path, extensions: { code: "UNAUTHENTICATED" } });
  const unavailable = asUnavailable(original);
  if (unavailable) {
    if (!faultsLogged?.has(unavailable.code)) scope.logger.warn({ code: unavailable.code, err: (original as Error).message }, "database fault answered 503");
    faultsLogged?.add(unavailable.code);
    return new GraphQLError(unavailable.message, { path, extensions: domainExtensions(unavailable) });
  }
  // Pothos rejects malformed input such as global ids that do not decode.
  if (original instanceof PothosValidationError) {
    return new GraphQLError(original.message, { path, extensions: { code: "BAD_USER_INPUT", http: { status: 400 } } });
  }
  if (isGraphQLError(error) && (!original || isGraphQLError(original))) {
    // Raised on purpose, with its code (limits, authentication). A limit is a 400 whatever the Accept
    // header: yoga marks parse-time errors (the token limit) for its legacy 200, which must not apply.
    if (error.extensions.code === "QUERY_TOO_COMPLEX") return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, http: { status: 400 } } });
    if (error.extensions.code) return error;
    // Without a path, an error of the request itself (syntax, validation, variable coercion): the client's.
    if (!path) return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code: "BAD_USER_INPUT", http: { status: 400 } } });
  }
  scope.logger.error({ err: original instanceof Error ? original.stack : error instanceof Error ? error.stack : String(error) }, "unexpected GraphQL error");
  const { requestId } = scope;
  return new GraphQLError(requestId ? `Unexpected error; quote request id ${requestId}` : message, { path, extensions: { code: "INTERNAL_SERVER_ERROR", requestId } });
}

// As yoga tells an abort (a DOMException named AbortError or TimeoutError).
const isAbort = (error: unknown) => (error as Error | null)?.constructor?.name === "DOMException" && ["AbortError", "TimeoutError"].includes((error as Error).name);

/** Masks the errors of every result an operation yields (a subscription's events too) with the request's id and logger. */
export function executionErrorsPlugin(): Plugin {
  const masking = (scope: ErrorScope) => ({ result, setResult }: { result: ExecutionResult; setResult: (result: ExecutionResult) => void }) => {
    // One line per fault and result: the fifty fields of a page that one outage failed are one fault.
    const faultsLogged = new Set<string>();
    if (result.errors?.length) setResult({ ...result, errors: result.errors.map((error) => maskError(error, "Unexpected error.", scope, faultsLogged)) });
  };
  // The request context carries both (a child logger that writes the id on every line).
  const scopeOf = (contextValue: unknown) => contextValue as ErrorScope;
  return {
    onExecute: ({ args }) => ({ onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, masking(scopeOf(args.contextValue))) }),
    onSubscribe: ({ args }) => ({
      onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, masking(scopeOf(args.contextValue))),
      // A subscription's stream that fails (its renewed credentials, the database). An abort is
      // left as it is: yoga rethrows it after this, to end the stream quietly.
      onSubscribeError: ({ error, setError }) => {
        if (!isAbort(error)) setError(maskError(error, "Unexpected error.", scopeOf(args.contextValue)));
      },
    }),
  };
}
