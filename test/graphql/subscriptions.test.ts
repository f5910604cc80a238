// Live updates over Server-Sent Events: the balance and the usage of a workspace after each write,
// scoped as queries are, ended by a revoked key, and heard across gateway processes through Redis.
import crypto from "node:crypto";
import { describe, expect } from "vitest";
import { insertPriceList } from "../../src/seed/price-list.js";
import { createApiKey, revokeApiKey } from "../../src/domain/api-keys.js";
import type { RequestContext } from "../../src/domain/context.js";
import { signSessionToken } from "../../src/auth/session-token.js";
import { gatewayTest, processesTest } from "../helpers/fixtures.js";
import { bearer, operatorAt, startGateway, TEST_JWT_SECRET, type TestGateway } from "../helpers/gateway.js";
import { canStartRedis, startThrowawayRedis } from "../helpers/throwaway-redis.js";
import { runCli, startServer } from "../helpers/cli.js";
import { usingPostgres } from "../helpers/database.js";

interface Payload { data?: Record<string, any> | null; errors?: { message: string; extensions?: { code?: string } }[] }

/** A subscription read as a client does: each `next` event's payload, in order, until `complete`. */
async function subscribe(gateway: Pick<TestGateway, "url">, query: string, key: string, variables: object = {}) {
  const abort = new AbortController();
  const response = await fetch(`${gateway.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", ...bearer(key) },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    /** The next payload, or null once the stream completes. */
    async next(): Promise<Payload | null> {
      for (;;) {
        const end = buffered.indexOf("\n\n");
        if (end >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const event = /^event: (\w+)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === "complete") return null;
          if (event === "next" && data) return JSON.parse(data) as Payload;
          continue; // a keep-alive comment
        }
        const { done, value } = await reader.read();
        if (done) return null;
        buffered += value;
      }
    },
    close: () => abort.abort(),
  };
}

const BALANCE = `subscription ($workspaceId: ID) { creditBalanceChanged(workspaceId: $workspaceId) { credits asOf } }`;
const USAGE = `subscription { usageRecorded { workspace { slug } usageRecords { id idempotencyKey credits } } }`;
const RECORD = `mutation ($records: [UsageRecordInput!]!) { recordUsage(records: $records) { ... on RecordUsagePayload { creditBalance { credits } results { usageRecord { id } } } } }`;

async function record(gateway: Pick<TestGateway, "url">, key: string, keys: string[]) {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(key) },
    body: JSON.stringify({ query: RECORD, variables: { records: keys.map((idempotencyKey) => ({ idempotencyKey, sku: "storage-gb-hours", units: "2" })) } }),
  });
  return ((await response.json()) as { data: { recordUsage: { creditBalance: { credits: string }; results: { usageRecord: { id: string } }[] } } }).data.recordUsage;
}

const test = gatewayTest().extend("prices", { scope: "file" }, async ({ db }) => {
  await db.withSession((session) => insertPriceList(session));
  return true;
});

describe("subscriptions over SSE", () => {
  test("tell the balance at once and after each write, and each batch of usage", async ({ gateway, prices, tenants: { acme } }) => {
    expect(prices).toBe(true);
    const balance = await subscribe(gateway, BALANCE, acme.keys.read);
    expect([balance.status, balance.type]).toEqual([200, expect.stringContaining("text/event-stream")]);
    const first = await balance.next();
    expect(first?.errors).toBeUndefined();
    const usage = await subscribe(gateway, USAGE, acme.keys.read);
    const written = await record(gateway, acme.keys.admin, ["live-1", "live-2"]);
    try {
      const after = await balance.next();
      expect(after?.data?.creditBalanceChanged.credits).toBe(written.creditBalance.credits);
      expect(after?.data?.creditBalanceChanged.credits).not.toBe(first?.data?.creditBalanceChanged.credits);
      const batch = await usage.next();
      expect(batch?.data?.usageRecorded).toEqual({
        workspace: { slug: "acme-main" },
        usageRecords: written.results.map((r, i) => ({ id: r.usageRecord.id, idempotencyKey: `live-${i + 1}`, credits: expect.any(String) })),
      });
    } finally {
      balance.close();
      usage.close();
    }
  });

  test("are scoped as queries: another tenant's workspace is not found, a write-only key is forbidden", async ({ gateway, tenants: { acme, globex } }) => {
    const workspaceId = Buffer.from(`Workspace:${acme.workspaceId}`).toString("base64");
    const foreign = await subscribe(gateway, BALANCE, globex.keys.admin, { workspaceId });
    const refused = await foreign.next();
    expect(refused?.data ?? null).toBeNull();
    expect(refused?.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const writer = await subscribe(gateway, BALANCE, acme.keys.write);
    expect((await writer.next())?.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  test("resolve each event's fields as the caller is then: a demoted member loses the admin fields, a removed one the stream", async ({ gateway, db, clock, prices, tenants: { acme } }) => {
    expect(prices).toBe(true);
    const session = await signSessionToken(TEST_JWT_SECRET, acme.userId, clock.now());
    const workspaceId = Buffer.from(`Workspace:${acme.workspaceId}`).toString("base64");
    const usage = await subscribe(gateway, `subscription ($workspaceId: ID) { usageRecorded(workspaceId: $workspaceId) { workspace { name apiKeys { name } } usageRecords { idempotencyKey } } }`, session, { workspaceId });
    try {
      await record(gateway, acme.keys.admin, ["as-owner"]);
      const owner = await usage.next();
      expect(owner?.errors).toBeUndefined();
      expect(owner?.data?.usageRecorded.workspace.apiKeys.length).toBeGreaterThan(0);
      const membership = { userId_workspaceId: { userId: acme.userId, workspaceId: acme.workspaceId } };
      await db.prisma.membership.update({ where: membership, data: { role: "VIEWER" } });
      await record(gateway, acme.keys.admin, ["as-viewer"]);
      const viewer = await usage.next();
      expect(viewer?.data?.usageRecorded).toEqual({ workspace: { name: "acme main", apiKeys: null }, usageRecords: [{ idempotencyKey: "as-viewer" }] });
      expect(viewer?.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
      await db.prisma.membership.delete({ where: membership });
      await record(gateway, acme.keys.admin, ["as-nobody"]);
      expect((await usage.next())?.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
      expect(await usage.next()).toBeNull();
    } finally {
      usage.close();
    }
  });

  // Revoked through the API, or without the trigger (and so without the NOTIFY that empties the key
  // cache), as if the message were still on its way when the next write commits.
  test.for([
    { how: "through the API", revoke: (operator: RequestContext, id: string) => revokeApiKey(operator, id) },
    { how: "before the key cache hears of it", revoke: (operator: RequestContext, id: string) => operator.db.withSession((session) => session.exec(
      `SET session_replication_role = replica; UPDATE "ApiKey" SET "revokedAt" = now() WHERE id = '${id}'; RESET session_replication_role`,
    )) },
  ])("end with UNAUTHENTICATED at their next event once their key is revoked $how", async ({ revoke }, { gateway, db, clock, prices, tenants: { acme } }) => {
    expect(prices).toBe(true);
    const operator = await operatorAt(db, clock);
    const created = await createApiKey(operator, { name: "live reader", scopes: ["read:billing"], workspaceId: acme.workspaceId });
    const balance = await subscribe(gateway, BALANCE, created.secret);
    expect((await balance.next())?.data?.creditBalanceChanged.credits).toMatch(/^\d/);
    await revoke(operator, created.apiKey.id);
    await record(gateway, acme.keys.admin, [`live-revoked-${crypto.randomUUID()}`]);
    expect((await balance.next())?.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await balance.next()).toBeNull();
  });
});

describe.runIf(canStartRedis)("subscriptions across gateway processes", () => {
  test("hear through Redis a write made on another process", async ({ db, clock, prices, tenants: { acme } }) => {
    expect(prices).toBe(true);
    const redis = await startThrowawayRedis();
    const env = { REDIS_URL: redis.url };
    const logs: string[] = [];
    const [a, b] = await Promise.all([startGateway(db, { clock, env, logs: { write: (line) => void logs.push(line) } }), startGateway(db, { clock, env })]);
    const balance = await subscribe(a, BALANCE, acme.keys.read);
    try {
      // Subscribed at once after start: ioredis once sent its connection checks on the subscribed
      // connection, which Redis refused; the reconnect lost the channel and this event with it.
      await balance.next();
      const written = await record(b, acme.keys.admin, ["other-process"]);
      expect((await balance.next())?.data?.creditBalanceChanged.credits).toBe(written.creditBalance.credits);
      expect(logs.filter((line) => line.includes("Redis"))).toEqual([]);
    } finally {
      balance.close();
      await Promise.all([a.close(), b.close()]);
      await redis.stop();
    }
  });
});

const sharedTest = processesTest();

describe.runIf(usingPostgres)("a live balance across two gateway processes", () => {
  sharedTest("moves on one process when usage is recorded through the other, through Redis", async ({ postgres }) => {
    const env = { DATABASE_URL: postgres.url, REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379", REDIS_KEY_PREFIX: `test-${crypto.randomUUID()}` };
    expect((await runCli(["seed"], env)).code).toBe(0);
    const key = (await runCli(["keys", "create", "--workspace", "acme-prod", "--scope", "read:billing", "--scope", "write:usage"], env)).stdout.trim();
    const [a, b] = await Promise.all([startServer(env), startServer(env)]);
    try {
      const balance = await subscribe(a, BALANCE, key);
      expect((await balance.next())?.data?.creditBalanceChanged.credits).toMatch(/^-?\d/);
      const written = await record(b, key, ["two-processes-1"]);
      expect((await balance.next())?.data?.creditBalanceChanged.credits).toBe(written.creditBalance.credits);
      balance.close();
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
