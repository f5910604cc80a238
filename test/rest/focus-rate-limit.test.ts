// About ten FOCUS requests a minute per caller: the eleventh gets 429 with Retry-After. Counters
// live in memory, or in Redis, where two gateway processes share one budget.
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRateLimiter } from "../../src/http/rate-limit.js";
import { createTenant, type Tenant } from "../helpers/tenants.js";
import { runCli, startServer } from "../helpers/cli.js";
import { createPostgresDatabase, createTestDatabase, usingPostgres, type TestDatabase } from "../helpers/database.js";
import { bearer, startGateway, type TestGateway } from "../helpers/gateway.js";

const DAY = 86_400_000;
const range = () => `from=${Date.now() - 7 * DAY}&to=${Date.now()}`;

describe("FOCUS rate limit in one process", () => {
  let t: TestDatabase;
  let gateway: TestGateway;
  let acme: Tenant;
  let globex: Tenant;
  const limiter = createRateLimiter({ points: 10, durationSeconds: 60, keyPrefix: "test" });
  beforeAll(async () => {
    t = await createTestDatabase();
    acme = await createTenant(t.db, "acme");
    globex = await createTenant(t.db, "globex");
    gateway = await startGateway(t.db, {}, undefined, limiter);
  });
  afterAll(async () => {
    await gateway.close();
    await limiter.close();
    await t.drop();
  });

  it("answers the eleventh request within a minute with 429 and Retry-After, per caller, across both routes", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const path = i % 2 ? "focus-metadata" : "focus-export";
      const response = await fetch(`${gateway.url}/api/billing/${path}?${range()}`, { headers: bearer(acme.keys.read) });
      await response.arrayBuffer();
      statuses.push(response.status);
      if (response.status === 429) {
        expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(Number(response.headers.get("retry-after"))).toBeLessThanOrEqual(60);
      }
    }
    expect(statuses).toEqual([...Array(10).fill(200), 429]);
    const other = await fetch(`${gateway.url}/api/billing/focus-metadata?${range()}`, { headers: bearer(globex.keys.read) });
    expect(other.status).toBe(200);
    const ordinary = await fetch(`${gateway.url}/api/mcp/credits/balance`, { headers: bearer(acme.keys.read) });
    expect(ordinary.status).toBe(200);
  });
});

describe("FOCUS rate limit without its Redis", () => {
  it("answers 503 with Retry-After rather than failing or letting requests through unlimited", async () => {
    const t = await createTestDatabase();
    const limiter = createRateLimiter({ points: 10, durationSeconds: 60, keyPrefix: "down", redisUrl: "redis://127.0.0.1:1" });
    const gateway = await startGateway(t.db, {}, undefined, limiter);
    try {
      const acme = await createTenant(t.db, "acme");
      const response = await fetch(`${gateway.url}/api/billing/focus-metadata?${range()}`, { headers: bearer(acme.keys.read) });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      expect((await response.json()).error.code).toBe("RATE_LIMITER_UNAVAILABLE");
    } finally {
      await gateway.close();
      await limiter.close();
      await t.drop();
    }
  });
});

describe.runIf(usingPostgres)("FOCUS rate limit shared by two processes through Redis", () => {
  let database: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    database = await createPostgresDatabase();
  });
  afterAll(() => database.drop());

  it("counts one caller's requests to either process against one budget", async () => {
    const env = { DATABASE_URL: database.url, REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379", REDIS_KEY_PREFIX: `test-${crypto.randomUUID()}` };
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
