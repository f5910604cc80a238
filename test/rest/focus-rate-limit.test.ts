// About ten FOCUS requests a minute per caller, REST and GraphQL alike: the eleventh gets 429 with
// Retry-After (GraphQL: RATE_LIMITED with retryAfter). Counters live in memory, or in Redis, where
// two gateway processes share one budget.
import crypto from "node:crypto";
import { parse } from "graphql";
import { describe, expect } from "vitest";
import { createRateLimiter } from "../../src/http/rate-limit.js";
import { runCli, startServer } from "../helpers/cli.js";
import { usingPostgres } from "../helpers/database.js";
import { gatewayTest, processesTest } from "../helpers/fixtures.js";
import { bearer, startGateway, type TestGateway } from "../helpers/gateway.js";
import { canStartRedis, startThrowawayRedis } from "../helpers/throwaway-redis.js";

const DAY = 86_400_000;
const range = (now = Date.now()) => `from=${now - 7 * DAY}&to=${now}`;

const limitedTest = gatewayTest().extend("limited", { scope: "file" }, async ({ db, clock }, { onCleanup }) => {
  const limiter = createRateLimiter({ points: 10, durationSeconds: 60, keyPrefix: `test-${crypto.randomUUID()}` });
  const gateway = await startGateway(db, { clock, rateLimiter: limiter });
  onCleanup(async () => {
    await gateway.close();
    await limiter.close();
  });
  return gateway;
});

const FocusQuery = parse(`query ($from: DateTime!, $to: DateTime!) {
  workspace { focusRows(from: $from, to: $to, first: 1) { hasNextPage } focusMetadata(from: $from, to: $to) }
}`);

async function graphqlFocus(gateway: TestGateway, key: string) {
  const now = gateway.clock.now().getTime();
  return gateway.graphql(FocusQuery, { from: new Date(now - 7 * DAY).toISOString(), to: new Date(now).toISOString() }, bearer(key));
}

describe("FOCUS rate limit in one process", () => {
  limitedTest("answers the eleventh request within a minute with 429 and Retry-After, per caller, across both routes", async ({ limited: gateway, tenants: { acme, globex } }) => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const path = i % 2 ? "focus-metadata" : "focus-export";
      const response = await fetch(`${gateway.url}/api/billing/${path}?${range()}`, { headers: bearer(acme.keys.read) });
      await response.arrayBuffer();
      statuses.push(response.status);
      // Every answer carries the budget; the refusal also says when to retry.
      expect([response.headers.get("ratelimit-limit"), response.headers.get("ratelimit-remaining")]).toEqual(["10", String(Math.max(0, 9 - i))]);
      expect(Number(response.headers.get("ratelimit-reset"))).toBeGreaterThan(0);
      expect(Number(response.headers.get("ratelimit-reset"))).toBeLessThanOrEqual(60);
      if (response.status === 429) {
        expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(Number(response.headers.get("retry-after"))).toBeLessThanOrEqual(60);
      } else {
        expect(response.headers.get("retry-after")).toBeNull();
      }
    }
    expect(statuses).toEqual([...Array(10).fill(200), 429]);
    // The budget is the caller's, whichever surface asks: GraphQL is refused too now.
    const graphql = await graphqlFocus(gateway, acme.keys.read);
    // Field errors next to data answer 200 (GraphQL over HTTP); the code and Retry-After say the rest.
    expect(graphql.status).toBe(200);
    expect([graphql.headers.get("ratelimit-remaining"), Number(graphql.headers.get("retry-after")) > 0]).toEqual(["0", true]);
    expect(graphql.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED" });
    expect(graphql.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(0);
    const other = await fetch(`${gateway.url}/api/billing/focus-metadata?${range()}`, { headers: bearer(globex.keys.read) });
    expect(other.status).toBe(200);
    const ordinary = await fetch(`${gateway.url}/api/mcp/credits/balance`, { headers: bearer(acme.keys.read) });
    expect(ordinary.status).toBe(200);
  });

  limitedTest("spends no budget on a request refused for its parameters", async ({ limited: gateway, tenants: { globex } }) => {
    // One reading of the clock: two could be milliseconds apart on a busy machine, and make the range valid.
    const now = Date.now();
    for (let i = 0; i < 15; i++) {
      const bad = await fetch(`${gateway.url}/api/billing/focus-export?from=${now}&to=${now - DAY}`, { headers: bearer(globex.keys.admin) });
      expect([bad.status, (await bad.json()).error.code]).toEqual([400, "INVALID_RANGE"]);
    }
    const statuses = [];
    for (let i = 0; i < 11; i++) {
      const response = await fetch(`${gateway.url}/api/billing/focus-metadata?${range()}`, { headers: bearer(globex.keys.admin) });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([...Array(10).fill(200), 429]);
  });

  limitedTest("counts GraphQL FOCUS requests, once per request, and refuses the eleventh", async ({ limited: gateway, tenants: { acme } }) => {
    const results = [];
    for (let i = 0; i < 11; i++) results.push(await graphqlFocus(gateway, acme.keys.admin));
    // Each request asked for rows and metadata: one unit of budget, not two.
    expect(results.slice(0, 10).map((r) => [r.status, r.errors])).toEqual(Array(10).fill([200, undefined]));
    expect(results.map((r) => r.headers.get("ratelimit-remaining"))).toEqual(["9", "8", "7", "6", "5", "4", "3", "2", "1", "0", "0"]);
    const eleventh = results[10]!;
    expect(eleventh.status).toBe(200);
    expect(eleventh.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(eleventh.errors?.length).toBeGreaterThan(0);
    expect(eleventh.errors?.every((e) => e.extensions?.code === "RATE_LIMITED")).toBe(true);
    const rest = await fetch(`${gateway.url}/api/billing/focus-metadata?${range()}`, { headers: bearer(acme.keys.admin) });
    expect([rest.status, (await rest.json()).error.code]).toEqual([429, "RATE_LIMITED"]);
  });
});

const downTest = gatewayTest().extend("unlimited", { scope: "file" }, async ({ db, clock }, { onCleanup }) => {
  const limiter = createRateLimiter({ points: 10, durationSeconds: 60, keyPrefix: "down", redisUrl: "redis://127.0.0.1:1" });
  const gateway = await startGateway(db, { clock, rateLimiter: limiter });
  onCleanup(async () => {
    await gateway.close();
    await limiter.close();
  });
  return gateway;
});

describe("FOCUS rate limit without its Redis", () => {
  downTest("answers 503 with Retry-After rather than failing or letting requests through unlimited", async ({ unlimited: gateway, tenants: { acme } }) => {
    const response = await fetch(`${gateway.url}/api/billing/focus-metadata?${range()}`, { headers: bearer(acme.keys.read) });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect((await response.json()).error.code).toBe("RATE_LIMITER_UNAVAILABLE");
    const graphql = await graphqlFocus(gateway, acme.keys.read);
    // An outage is a 503 without data even next to other fields: the query is retried whole.
    expect([graphql.status, graphql.headers.get("retry-after"), graphql.data]).toEqual([503, "5", null]);
    expect(graphql.errors?.[0]?.extensions?.code).toBe("RATE_LIMITER_UNAVAILABLE");
  });
});

describe.runIf(canStartRedis)("FOCUS rate limit when its Redis stops and comes back", () => {
  limitedTest("answers 503 RATE_LIMITER_UNAVAILABLE while Redis is down, then counts again by itself", async ({ db, clock, tenants: { acme } }) => {
    const redis = await startThrowawayRedis();
    const limiter = createRateLimiter({ points: 10, durationSeconds: 60, keyPrefix: "restart", redisUrl: redis.url });
    const gateway = await startGateway(db, { clock, rateLimiter: limiter });
    const metadata = () => fetch(`${gateway.url}/api/billing/focus-metadata?${range()}`, { headers: bearer(acme.keys.read) });
    try {
      // Refused (and counted nowhere) until the client's first connection is up.
      await expect.poll(async () => (await metadata()).headers.get("ratelimit-remaining"), { timeout: 5_000, interval: 50 }).toBe("9");
      const counted = [];
      for (let i = 0; i < 2; i++) {
        const response = await metadata();
        await response.arrayBuffer();
        counted.push([response.status, response.headers.get("ratelimit-remaining")]);
      }
      expect(counted).toEqual([[200, "8"], [200, "7"]]);

      await redis.stop();
      for (let i = 0; i < 3; i++) {
        const refused = await metadata();
        expect([refused.status, refused.headers.get("retry-after"), (await refused.json()).error.code]).toEqual([503, "5", "RATE_LIMITER_UNAVAILABLE"]);
      }
      const graphql = await graphqlFocus(gateway, acme.keys.read);
      expect([graphql.status, graphql.errors?.[0]?.extensions?.code]).toEqual([503, "RATE_LIMITER_UNAVAILABLE"]);

      // The same port again, empty (no persistence): the client reconnects without a restart of the gateway.
      await redis.start();
      await expect.poll(async () => (await metadata()).status, { timeout: 15_000, interval: 250 }).toBe(200);
      const after = await metadata();
      expect(after.status).toBe(200);
      expect(Number(after.headers.get("ratelimit-remaining"))).toBeLessThan(10);
    } finally {
      await gateway.close();
      await limiter.close();
      await redis.stop();
    }
  });
});

const sharedTest = processesTest();

describe.runIf(usingPostgres)("FOCUS rate limit shared by two processes through Redis", () => {
  sharedTest("counts one caller's requests to either process against one budget", async ({ postgres }) => {
    const env = { DATABASE_URL: postgres.url, REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379", REDIS_KEY_PREFIX: `test-${crypto.randomUUID()}` };
    expect((await runCli(["seed"], env)).code).toBe(0);
    const key = (await runCli(["keys", "create", "--workspace", "acme-prod", "--scope", "read:billing"], env)).stdout.trim();
    const [a, b] = await Promise.all([startServer(env), startServer(env)]);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const server = i % 2 ? b : a;
        const response = await fetch(`${server.url}/api/billing/focus-metadata?${range()}`, { headers: bearer(key) });
        await response.arrayBuffer();
        statuses.push(response.status);
      }
      expect(statuses).toEqual([...Array(10).fill(200), 429, 429]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
