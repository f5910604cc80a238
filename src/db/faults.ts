// Which database failures are faults of the moment (the server is down, restarting, overloaded or
// slow) rather than bugs: those are answered 503 with Retry-After, and a client that retries loses
// nothing, since every write is one transaction and ingestion is idempotent.
import { UnavailableError } from "../domain/errors.js";

export type FaultCode = "DATABASE_UNAVAILABLE" | "TIMEOUT" | "OVERLOADED";

/** SQLSTATE classes and codes (PostgreSQL's appendix A) that a retry can outlive. */
function sqlStateFault(code: string): FaultCode | null {
  if (code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03") return "DATABASE_UNAVAILABLE";
  if (code === "57014") return "TIMEOUT"; // statement_timeout
  // Too many connections or out of resources; a lock not granted within lock_timeout; a conflict.
  if (code.startsWith("53") || code === "55P03" || code === "40001" || code === "40P01") return "OVERLOADED";
  return null;
}

/** Prisma's error codes and driver-adapter error kinds. */
const PRISMA_CODES: Record<string, FaultCode> = {
  P1001: "DATABASE_UNAVAILABLE", // can't reach the server
  P1002: "DATABASE_UNAVAILABLE", // reached, but timed out
  P1017: "DATABASE_UNAVAILABLE", // the server closed the connection
  P2024: "OVERLOADED", // no connection from the pool in time
  P2034: "OVERLOADED", // write conflict or deadlock
};
const ADAPTER_KINDS: Record<string, FaultCode> = {
  DatabaseNotReachable: "DATABASE_UNAVAILABLE",
  ConnectionClosed: "DATABASE_UNAVAILABLE",
  TlsConnectionError: "DATABASE_UNAVAILABLE",
  SocketTimeout: "TIMEOUT",
  TooManyConnections: "OVERLOADED",
  TransactionWriteConflict: "OVERLOADED",
  TransactionAlreadyClosed: "TIMEOUT",
};
const NODE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
/** node-postgres and PGlite say these only in words. */
const MESSAGES: [RegExp, FaultCode][] = [
  [/timeout exceeded when trying to connect/i, "OVERLOADED"], // pg.Pool: every connection busy
  [/Unable to start a transaction in the given time/i, "OVERLOADED"], // Prisma's maxWait
  [/Transaction already closed|expired transaction/i, "TIMEOUT"], // Prisma's transaction timeout
  [/Query read timeout/i, "TIMEOUT"], // pg's query_timeout
  [/Connection terminated|connection error and is not queryable|Cannot use a pool after calling end|PGlite is closed/i, "DATABASE_UNAVAILABLE"],
];

/** The fault behind `error`, looking through Prisma's and the driver's wrappers; null for anything else. */
export function databaseFault(error: unknown, depth = 0): FaultCode | null {
  if (!error || typeof error !== "object" || depth > 5) return null;
  const e = error as { code?: unknown; kind?: unknown; message?: unknown; meta?: { driverAdapterError?: { cause?: unknown } }; cause?: unknown; errors?: unknown[] };
  if (typeof e.code === "string") {
    const fault = PRISMA_CODES[e.code] ?? (NODE_CODES.has(e.code) ? "DATABASE_UNAVAILABLE" : /^[0-9A-Z]{5}$/.test(e.code) ? sqlStateFault(e.code) : null);
    if (fault) return fault;
  }
  if (typeof e.kind === "string" && ADAPTER_KINDS[e.kind]) return ADAPTER_KINDS[e.kind]!;
  if (typeof e.message === "string") {
    const match = MESSAGES.find(([pattern]) => pattern.test(e.message as string));
    if (match) return match[1];
  }
  const inner = [e.meta?.driverAdapterError?.cause, e.meta?.driverAdapterError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  for (const next of inner) {
    const fault = databaseFault(next, depth + 1);
    if (fault) return fault;
  }
  return null;
}

const FAULT_ANSWERS: Record<FaultCode, { message: string; retryAfterSeconds: number }> = {
  DATABASE_UNAVAILABLE: { message: "The database is unavailable; retry shortly", retryAfterSeconds: 5 },
  TIMEOUT: { message: "The database did not answer in time; retry shortly", retryAfterSeconds: 2 },
  OVERLOADED: { message: "The gateway is busy; retry shortly", retryAfterSeconds: 1 },
};

/** The 503 that answers a database fault, or null when `error` is not one. */
export function asUnavailable(error: unknown): UnavailableError | null {
  if (error instanceof UnavailableError) return error;
  const fault = databaseFault(error);
  if (!fault) return null;
  const { message, retryAfterSeconds } = FAULT_ANSWERS[fault];
  return new UnavailableError(fault, message, retryAfterSeconds);
}
