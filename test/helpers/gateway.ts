// The gateway on an ephemeral port, built by the same app factory as `serve`, talked to over real
// HTTP as clients do.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { print, type DocumentNode } from "graphql";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { operatorContext } from "../../src/cli/operator.js";
import { loadConfig, type Config } from "../../src/config/config.js";
import { createLogger } from "../../src/config/logger.js";
import type { Database } from "../../src/db/client.js";
import { createApiKey, type CreateApiKeyInput } from "../../src/domain/api-keys.js";
import type { Clock } from "../../src/domain/clock.js";
import type { RateLimiter } from "../../src/domain/context.js";
import { createApp } from "../../src/http/app.js";
import type { ExpiryJob } from "../../src/jobs/credit-expiry.js";
import type { ExportJobRunner } from "../../src/jobs/focus-exports.js";
import { TestClock } from "./clock.js";

export const TEST_JWT_SECRET = "test-secret-that-is-at-least-32-characters-long";

export interface TestGateway {
  url: string;
  config: Config;
  clock: TestClock;
  /** This process's export job runner (its timer is off unless EXPORT_JOB_INTERVAL_MS is set). */
  focusExports: ExportJobRunner;
  /** This process's credit-expiry job (its timer is off unless CREDIT_EXPIRY_INTERVAL_S is set). */
  creditExpiry: ExpiryJob;
  /** Stops it as SIGTERM does, waiting up to `graceMs` for requests under way (none by default). */
  close(graceMs?: number): Promise<void>;
  graphql<R, V>(document: TypedDocumentNode<R, V> | DocumentNode, variables?: V, headers?: Record<string, string>): Promise<GraphQLResponse<R>>;
}

export interface GraphQLResponse<R> {
  status: number;
  headers: Headers;
  data: R | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

export interface GatewayOptions {
  env?: Record<string, string>;
  /** Receives the JSON log lines. */
  logs?: { write(line: string): void };
  rateLimiter?: RateLimiter;
  clock?: TestClock;
  /** The key GraphiQL's page carries, as `serve` embeds the demo's on loopback. */
  graphiqlApiKey?: string;
}

export async function startGateway(db: Database, options: GatewayOptions = {}): Promise<TestGateway> {
  // FOCUS budgets are off the way unless a test is about them (it passes a limiter or the variable).
  // Export jobs run when a test says (focusExports.runOnce()), into a folder of this gateway's own.
  const config = loadConfig({
    LOG_LEVEL: options.logs ? "info" : "silent", JWT_SECRET: TEST_JWT_SECRET, FOCUS_RATE_LIMIT_PER_MINUTE: "100000", CREDIT_EXPIRY_INTERVAL_S: "0",
    EXPORT_JOB_INTERVAL_MS: "0", EXPORT_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "gateway-exports-")), ...options.env,
  });
  const logger = createLogger(config.LOG_LEVEL, options.logs);
  const clock = options.clock ?? new TestClock();
  const app = await createApp({ db, config, logger, clock, rateLimiter: options.rateLimiter, graphiqlApiKey: options.graphiqlApiKey });
  const port = await app.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    config,
    clock,
    creditExpiry: app.creditExpiry,
    focusExports: app.focusExports,
    close: (graceMs) => app.close(graceMs),
    async graphql(document, variables, headers = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...headers },
        body: JSON.stringify({ query: print(document as DocumentNode), variables }),
      });
      const body = (await response.json()) as { data?: never; errors?: GraphQLResponse<never>["errors"]; extensions?: Record<string, unknown> };
      return { status: response.status, headers: response.headers, data: body.data ?? null, errors: body.errors, extensions: body.extensions };
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The operator's request context (as the command line has it), on a test clock. */
export const operatorAt = (db: Database, clock?: Clock) => operatorContext(db, loadConfig({ LOG_LEVEL: "silent" }), clock);

/** A key made by the operator, as `keys create` makes it; returns its secret. */
export async function operatorKey(db: Database, input: CreateApiKeyInput, clock?: Clock): Promise<string> {
  return (await createApiKey(await operatorAt(db, clock), input)).secret;
}
