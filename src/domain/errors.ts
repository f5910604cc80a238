// Expected failures of the domain layer. Each has a stable code and the HTTP status that REST
// adapters answer with; GraphQL turns them into typed results or errors with the same code.

export interface FieldIssue {
  path: string[];
  message: string;
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
  readonly code = "VALIDATION_ERROR";
  readonly status = 400;
  constructor(readonly issues: FieldIssue[]) {
    super(issues.map((issue) => (issue.path.length ? `${issue.path.join(".")}: ` : "") + issue.message).join("; "));
  }

  static single(field: string, message: string): ValidationError {
    return new ValidationError([{ path: [field], message }]);
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
