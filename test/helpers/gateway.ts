// The gateway on an ephemeral port, talked to over real HTTP as clients do.
import http from "node:http";
import { print, type DocumentNode } from "graphql";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { createAuthenticator } from "../../src/auth/authenticate.js";
import { loadConfig, type Config } from "../../src/config/config.js";
import { createLogger } from "../../src/config/logger.js";
import type { Database } from "../../src/db/client.js";
import type { RateLimiter } from "../../src/http/rate-limit.js";
import { createRequestHandler, listen } from "../../src/http/server.js";

export const TEST_JWT_SECRET = "test-secret-that-is-at-least-32-characters-long";

export interface TestGateway {
  url: string;
  config: Config;
  close(): Promise<void>;
  graphql<R, V>(document: TypedDocumentNode<R, V> | DocumentNode, variables?: V, headers?: Record<string, string>): Promise<GraphQLResponse<R>>;
}

export interface GraphQLResponse<R> {
  status: number;
  headers: Headers;
  data: R | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export async function startGateway(
  db: Database,
  env: Record<string, string> = {},
  logs?: { write(line: string): void },
  rateLimiter?: RateLimiter,
): Promise<TestGateway> {
  const config = loadConfig({ LOG_LEVEL: logs ? "info" : "silent", JWT_SECRET: TEST_JWT_SECRET, ...env });
  const logger = createLogger(config.LOG_LEVEL, logs);
  const authenticate = createAuthenticator(db.prisma, config, logger);
  const server = http.createServer(createRequestHandler({ db, logger, rateLimiter, authenticate, focusProviderName: config.FOCUS_PROVIDER_NAME }));
  const port = await listen(server, 0, "127.0.0.1");
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    config,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
    async graphql(document, variables, headers = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...headers },
        body: JSON.stringify({ query: print(document as DocumentNode), variables }),
      });
      const body = (await response.json()) as { data?: never; errors?: GraphQLResponse<never>["errors"] };
      return { status: response.status, headers: response.headers, data: body.data ?? null, errors: body.errors };
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
