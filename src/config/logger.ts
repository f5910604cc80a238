import { AsyncLocalStorage } from "node:async_hooks";
import { pino, type DestinationStream, type Logger } from "pino";

/** The request being served, so that every line logged while serving it carries its id. */
export const requestScope = new AsyncLocalStorage<{ requestId: string }>();

/** JSON logs. Credentials are redacted wherever they could appear. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service: "billing-gateway" },
    mixin: () => {
      const scope = requestScope.getStore();
      return scope ? { requestId: scope.requestId } : {};
    },
    redact: {
      paths: ["authorization", "headers.authorization", "req.headers.authorization", "apiKey", "token", "secret"],
      censor: "[redacted]",
    },
  }, destination);
}

/** What a log line says of an error: its stack when it has one (a thrown non-Error as text). */
export const errorText = (error: unknown): string => (error as Error)?.stack ?? String(error);

export type { Logger };
