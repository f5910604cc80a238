import { pino, type DestinationStream, type Logger } from "pino";

/** JSON logs. Credentials are redacted wherever they could appear. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service: "billing-gateway" },
    redact: {
      paths: ["authorization", "headers.authorization", "req.headers.authorization", "apiKey", "token", "secret"],
      censor: "[redacted]",
    },
  }, destination);
}

export type { Logger };
