// A plain POST runs beside yoga's fetch layer (direct-execution.ts): every request it takes must be
// answered exactly as yoga answers it (status, media type, body), and what it leaves (anything
// that fails before it executes, or is not a plain JSON query) must be left to yoga.
import type http from "node:http";
import { describe, expect } from "vitest";
import { signSessionToken } from "../../src/auth/session-token.js";
import { createAuthenticator } from "../../src/auth/authenticate.js";
import { loadConfig } from "../../src/config/config.js";
import { createLogger } from "../../src/config/logger.js";
import type { Database } from "../../src/db/client.js";
import { createDirectExecution } from "../../src/graphql/direct-execution.js";
import { newOperationRecord } from "../../src/graphql/operation-metrics.js";
import { createGraphQLServer, type ContextFor, type ServerContext } from "../../src/graphql/yoga.js";
import { createMetrics } from "../../src/http/metrics.js";
import { buildRequestContext } from "../../src/http/request-context.js";
import { createSettings } from "../../src/http/settings.js";
import { UnavailableError } from "../../src/domain/errors.js";
import type { TestClock } from "../helpers/clock.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { TEST_JWT_SECRET } from "../helpers/gateway.js";

const test = gatewayTest().extend("graphql", { scope: "file" }, async ({ db, clock }, { onCleanup }) => {
  const both = await bothPipelines(db, clock, false);
  onCleanup(() => both.close());
  return both;
});

/** Yoga and the direct path over the same schema and context, as app.ts wires them. */
async function bothPipelines(db: Database, clock: TestClock, persistedOnly: boolean, contextFails?: () => Error) {
  const config = loadConfig({ LOG_LEVEL: "silent", JWT_SECRET: TEST_JWT_SECRET, FOCUS_RATE_LIMIT_PER_MINUTE: "100000", CREDIT_EXPIRY_INTERVAL_S: "0" });
  const logger = createLogger("silent");
  const metrics = createMetrics(db, { waitingWrites: () => 0, waitingRequests: () => 0 });
  const settings = await createSettings(db, config, { meter: metrics.meter, clock, logger });
  const authenticate = await createAuthenticator(db, config, logger);
  const contextFor: ContextFor = async (facts) => {
    if (contextFails) throw contextFails();
    return buildRequestContext({ db, settings, authenticate, logger }, facts);
  };
  const yoga = createGraphQLServer({ logger, contextFor, metrics, graphiqlApiKey: null, persistedOnly });
  const direct = createDirectExecution(yoga, { contextFor, logger, metrics, persistedOnly });
  const serverContext = (): ServerContext => ({ facts: { requestId: "req-1", arrivedAt: clock.now() }, operation: newOperationRecord() });
  return {
    /** The direct path's answer, or null where it leaves the request to yoga. */
    async direct(headers: Record<string, string>, body: string) {
      const answer = await direct({ headers } as unknown as http.IncomingMessage, Buffer.from(body), serverContext());
      return answer && { status: answer.status, headers: comparable(Object.entries(answer.headers)), body: JSON.parse(answer.body) as unknown };
    },
    async yoga(headers: Record<string, string>, body: string) {
      const response = await yoga.fetch("http://gateway/graphql", { method: "POST", headers, body }, serverContext());
      return { status: response.status, headers: comparable(response.headers.entries()), body: await response.json() };
    },
    close: async () => void (await Promise.all([authenticate.close(), settings.focusRateLimiter.close(), settings.events.close()])),
  };
}

const json = { "content-type": "application/json" };

/** Response headers by lower-case name, without the length (the HTTP layer sets it). */
const comparable = (headers: Iterable<[string, string]>) =>
  Object.fromEntries([...headers].map(([name, value]) => [name.toLowerCase(), value]).filter(([name]) => name !== "content-length"));
/** Twice this is over the complexity limit (limits.test.ts). */
const LOTS = "creditLots(first: 500) { nodes { transaction { allocations { lot { transaction { id } } } } } }";

describe("GraphQL POSTs executed without yoga's fetch layer", () => {
  test("are answered as yoga answers them", async ({ graphql, tenants: { acme } }) => {
    const key = { ...json, authorization: `Bearer ${acme.keys.read}` };
    const admin = { ...json, authorization: `Bearer ${acme.keys.admin}` };
    const cases: [Record<string, string>, object][] = [
      [key, { query: "{ __typename }" }],
      [{ ...key, accept: "application/graphql-response+json" }, { query: "{ viewer { kind } workspace { name creditBalance { credits } } }" }],
      [{ ...key, accept: "application/*" }, { query: "{ viewer { kind } }" }],
      [{ ...key, accept: "text/html, application/graphql-response+json;charset=utf-8" }, { query: "{ viewer { kind } }" }],
      // Data beside errors: a field the key may not read, an argument a resolver refuses.
      [key, { query: "{ workspace { name apiKeys { name } } }" }],
      [{ ...key, accept: "application/graphql-response+json" }, { query: "{ workspace { name creditTransactions(first: 501) { totalCount } } }" }],
      // Variables, an operation picked by name, variables that do not coerce.
      [key, { query: "query A { viewer { kind } } query B($n: Int) { workspace { creditTransactions(first: $n) { totalCount } } }", operationName: "B", variables: { n: 2 } }],
      [{ ...key, accept: "application/graphql-response+json" }, { query: "query ($n: Int) { workspace { creditTransactions(first: $n) { totalCount } } }", variables: { n: "two" } }],
      // A mutation that writes nothing (its input is refused), and one the scope forbids.
      [admin, { query: `mutation { grantCredits(input: { credits: "-1", description: "x" }) { __typename ... on ValidationError { issues { path } } } }`, variables: null, operationName: null }],
      [key, { query: `mutation { grantCredits(input: { credits: "1", description: "x" }) { __typename } }` }],
      // Over the complexity limit: refused before it runs.
      [key, { query: `{ workspace { a: ${LOTS} b: ${LOTS} } }` }],
      // Credentials that fail: 401 with its challenge, under either media type.
      [json, { query: "{ viewer { kind } }" }],
      [{ ...json, authorization: "Bearer bgk_nope", accept: "application/graphql-response+json" }, { query: "{ viewer { kind } }" }],
      [{ ...json, authorization: "Basic eDp5" }, { query: "{ viewer { kind } }" }],
      // Yoga's other JSON body type, with a charset.
      [{ ...key, "content-type": "application/graphql+json; charset=utf-8" }, { query: "{ viewer { kind } }" }],
    ];
    for (const [headers, params] of cases) {
      const body = JSON.stringify(params);
      const direct = await graphql.direct(headers, body);
      expect(direct, body).not.toBeNull();
      expect(direct, body).toEqual(await graphql.yoga(headers, body));
    }
    // The cases above are not all alike: the comparison covered errors and statuses besides 200.
    const answers = await Promise.all(cases.map(([headers, params]) => graphql.direct(headers, JSON.stringify(params))));
    expect(new Set(answers.map((a) => a!.status))).toEqual(new Set([200, 400, 401, 403]));
    expect(new Set(answers.map((a) => a!.headers["content-type"]))).toEqual(new Set(["application/json; charset=utf-8", "application/graphql-response+json; charset=utf-8"]));
    expect(answers.filter((a) => a!.headers["www-authenticate"]?.startsWith("Bearer realm="))).toHaveLength(3);
  });

  test("answer a context that cannot be built as yoga does: 503 with Retry-After, or masked with the request id", async ({ db, clock, tenants: { acme } }) => {
    const headers = { ...json, authorization: `Bearer ${acme.keys.read}` };
    const body = JSON.stringify({ query: "{ viewer { kind } }" });
    const failures: [() => Error, object][] = [
      [() => new UnavailableError("DATABASE_UNAVAILABLE", "The database is unavailable; retry shortly", 2), { status: 503, headers: { "retry-after": "2" } }],
      [() => new Error("a bug while building the context"), { body: { errors: [{ message: "Unexpected error; quote request id req-1", extensions: { code: "INTERNAL_SERVER_ERROR", requestId: "req-1" } }] } }],
    ];
    for (const [fails, expected] of failures) {
      const failing = await bothPipelines(db, clock, false, fails);
      try {
        const direct = await failing.direct(headers, body);
        expect(direct).toMatchObject(expected);
        expect(direct).toEqual(await failing.yoga(headers, body));
      } finally {
        await failing.close();
      }
    }
  });

  test("leave to yoga whatever fails to parse or validate, or is not a plain JSON query", async ({ graphql, db, clock, tenants: { acme } }) => {
    const key = { ...json, authorization: `Bearer ${acme.keys.read}` };
    const left: [Record<string, string>, string][] = [
      [key, "{ viewer {"],
      [key, JSON.stringify({ query: "{ viewer { nope } }" })],
      [key, JSON.stringify({ query: "{ viewer { kind } }", extensions: {} })],
      [key, JSON.stringify({ query: "{ viewer { kind } }", variables: [] })],
      [key, JSON.stringify([{ query: "{ viewer { kind } }" }])],
      [key, JSON.stringify({ documentId: "sha256:00" })],
      [key, JSON.stringify({ query: "subscription { creditBalanceChanged { credits } }" })],
      [{ ...key, origin: "https://dashboard.example" }, JSON.stringify({ query: "{ viewer { kind } }" })],
      [{ ...key, accept: "text/html" }, JSON.stringify({ query: "{ viewer { kind } }" })],
      [{ ...key, accept: "application/json; charset=iso-8859-1" }, JSON.stringify({ query: "{ viewer { kind } }" })],
      // Body types the route lets through but yoga refuses (415).
      [{ ...key, "content-type": "application/vnd.example+json" }, JSON.stringify({ query: "{ viewer { kind } }" })],
      [{ ...key, "content-type": "Application/JSON" }, JSON.stringify({ query: "{ viewer { kind } }" })],
    ];
    for (const [headers, body] of left) expect(await graphql.direct(headers, body), body).toBeNull();

    // GRAPHQL_PERSISTED_ONLY: a session's own document is yoga's to refuse; an API key's runs.
    const persistedOnly = await bothPipelines(db, clock, true);
    try {
      const session = { ...json, authorization: `Bearer ${await signSessionToken(TEST_JWT_SECRET, acme.userId, clock.now())}` };
      const body = JSON.stringify({ query: "{ viewer { kind } }" });
      expect(await persistedOnly.direct(session, body)).toBeNull();
      expect(await persistedOnly.yoga(session, body)).toMatchObject({ status: 403 });
      // Read as authentication reads it: a space that trimming removes does not make the session's token "no credential".
      const padded = { ...session, authorization: `${session.authorization}\u00a0` };
      expect(await persistedOnly.direct(padded, body)).toBeNull();
      expect(await persistedOnly.yoga(padded, body)).toMatchObject({ status: 403, body: { errors: [{ extensions: { code: "PERSISTED_QUERY_ONLY" } }] } });
      expect(await persistedOnly.direct(key, body)).toMatchObject({ status: 200, body: { data: { viewer: { kind: "API_KEY" } } } });
    } finally {
      await persistedOnly.close();
    }
  });
});
