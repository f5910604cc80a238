// Expected failures of the domain layer. Each has a stable code and the HTTP status that REST
// adapters answer with; GraphQL turns them into typed results or errors with the same code.

/** Why one input was refused; REST answers with it as `error.code`. */
export type IssueCode = "INVALID_PARAMETER" | "MISSING_PARAMETER" | "INVALID_RANGE" | "RANGE_TOO_LARGE" | "INVALID_CURSOR";

export interface FieldIssue {
  path: string[];
  message: string;
  code: IssueCode;
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
}

export class NotFoundError extends DomainError {
  readonly code = "NOT_FOUND";
  readonly status = 404;
  constructor(readonly entity: string) {
    super(`${entity} not found`);
  }
}

export class ForbiddenError extends DomainError {
  readonly code = "FORBIDDEN";
  readonly status = 403;
  constructor(readonly scope: string) {
    super(`This operation needs the ${scope} scope`);
  }
}

export class ValidationError extends DomainError {
  readonly code: string = "VALIDATION_ERROR";
  readonly status = 400;
  constructor(readonly issues: FieldIssue[]) {
    super(issues.map((issue) => (issue.path.length ? `${issue.path.join(".")}: ` : "") + issue.message).join("; "));
  }

  static single(field: string, message: string, code: IssueCode = "INVALID_PARAMETER"): ValidationError {
    return new ValidationError([{ path: field ? [field] : [], message, code }]);
  }

  /** The parameter at fault, as REST names it. */
  get param(): string | undefined {
    return this.issues[0]?.path.join(".") || undefined;
  }
}

/** A cursor that this connection did not issue: malformed, forged, or from another connection or workspace. */
export class InvalidCursorError extends ValidationError {
  override readonly code = "INVALID_CURSOR";
  constructor(field: string) {
    super([{ path: [field], message: `${field} is not a cursor of this connection; start again from the first page`, code: "INVALID_CURSOR" }]);
  }
}

export class InsufficientCreditsError extends DomainError {
  readonly code = "INSUFFICIENT_CREDITS";
  readonly status = 402;
  constructor(
    readonly balance: string,
    readonly required: string,
  ) {
    super(`Insufficient credits: balance ${balance}, required ${required}`);
  }
}

/** The caller spent its budget of a rate-limited operation. */
export class RateLimitedError extends DomainError {
  readonly code = "RATE_LIMITED";
  readonly status = 429;
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many requests; retry in ${retryAfterSeconds} s`);
  }
}

/** A dependency (the rate limiter's store) is down: retry shortly. */
export class UnavailableError extends DomainError {
  readonly status = 503;
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
  }
}
