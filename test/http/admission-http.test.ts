// The admission of API requests over HTTP. A subscription's stream gives its place back as it
// starts. With one place held (a write waiting for the workspace's lock that another connection
// holds, on PostgreSQL) and one seat in the queue, a request waits its turn and is then served;
// past the queue, GraphQL and REST answer 503 OVERLOADED with Retry-After in their own error
// shapes; probes are never queued. REQUEST_SLOW_MS is long here, so nothing depends on timing.
import pg from "pg";
import { describe, expect } from "vitest";
import { grantCredits } from "../../src/domain/credits.js";
import { insertPriceList } from "../../src/seed/price-list.js";
import { usingPostgres } from "../helpers/database.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, operatorAt, startGateway, type TestGateway } from "../helpers/gateway.js";

const test = gatewayTest().extend("priceList", { scope: "file", auto: true }, ({ db }) => db.withSession((session) => insertPriceList(session)));

const ONE_PLACE = { REQUESTS_AT_ONCE: "1", REQUEST_QUEUE_MAX_DEPTH: "1", REQUEST_SLOW_MS: "600000", REQUEST_MAX_WAIT_MS: "20000" };

const graphql = (gateway: TestGateway, key: string, query: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(`${gateway.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...bearer(key), ...headers }, body: JSON.stringify({ query }), signal });

const ingest = (gateway: TestGateway, key: string, idempotencyKey: string) =>
  fetch(`${gateway.url}/api/v1/events`, {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(key) },
    body: JSON.stringify([{ idempotencyKey, sku: "storage-gb-hours", units: "1" }]),
  });

/** Requests waiting for their turn, as the metrics count them. */
const waitingNow = async (gateway: TestGateway) => /^billing_gateway_requests_waiting (\d+)$/m.exec(await (await fetch(`${gateway.url}/metrics`)).text())?.[1];

describe("admission of API requests", () => {
  test("a subscription gives its place back once its stream starts", async ({ db, clock, tenants: { acme } }) => {
    const gateway = await startGateway(db, { clock, env: { ...ONE_PLACE, REQUEST_MAX_WAIT_MS: "2000" } });
    const abort = new AbortController();
    try {
      const stream = await graphql(gateway, acme.keys.read, `subscription { creditBalanceChanged { credits } }`, { accept: "text/event-stream" }, abort.signal);
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      let received = "";
      while (!received.includes("credits")) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`the stream ended before its first event: ${received}`);
        received += value;
      }
      // The stream is still open, and the one place is free: a query is served, not refused after its wait.
      const query = await graphql(gateway, acme.keys.read, `{ viewer { kind } }`);
      expect(query.status).toBe(200);
      expect(await query.json()).toMatchObject({ data: { viewer: { kind: "API_KEY" } } });
    } finally {
      abort.abort();
      await gateway.close();
    }
  });

  test.runIf(usingPostgres)("a request waits for the place a write holds; past the queue, 503 OVERLOADED in each API's error shape", async ({ db, database, clock, tenants: { acme } }) => {
    await grantCredits(await operatorAt(db, clock), { id: acme.workspaceId }, { credits: "100", description: "admission budget" });
    const gateway = await startGateway(db, { clock, env: ONE_PLACE });
    const other = new pg.Client({ connectionString: database.url! });
    await other.connect();
    try {
      // Another process holds the workspace's ledger lock: the write takes the one place and waits.
      await other.query("BEGIN");
      await other.query(`SELECT id FROM "Workspace" WHERE id = $1 FOR NO KEY UPDATE`, [acme.workspaceId]);
      const write = ingest(gateway, acme.keys.write, "held-the-place");
      await expect.poll(() => other.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`).then((r) => r.rows[0].n), { timeout: 10_000 }).toBeGreaterThan(0);
      const waiting = graphql(gateway, acme.keys.read, `{ viewer { kind } }`);
      // Once it holds the queue's one seat, the next requests are refused at once.
      await expect.poll(() => waitingNow(gateway), { timeout: 10_000 }).toBe("1");

      const graphqlRefusal = await graphql(gateway, acme.keys.read, `{ __typename }`);
      expect(graphqlRefusal.status).toBe(503);
      expect(graphqlRefusal.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
      expect(await graphqlRefusal.json()).toEqual({ errors: [{ message: "The gateway is busy; retry shortly", extensions: { code: "OVERLOADED" } }] });
      const restRefusal = await fetch(`${gateway.url}/api/mcp/credits/balance`, { headers: bearer(acme.keys.read) });
      expect(restRefusal.status).toBe(503);
      expect(restRefusal.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
      expect(await restRefusal.json()).toEqual({ error: { code: "OVERLOADED", message: "The gateway is busy; retry shortly" } });
      // A refused write is answered without its body being read, and stores nothing (checked below).
      expect((await ingest(gateway, acme.keys.write, "never-stored")).status).toBe(503);
      // Probes and metrics are not API requests: they never wait.
      expect((await fetch(`${gateway.url}/health`)).status).toBe(200);

      // The lock goes: the write ends, and the waiting query is served.
      await other.query("ROLLBACK");
      expect((await write).status).toBe(200);
      const served = await waiting;
      expect(served.status).toBe(200);
      expect(await served.json()).toMatchObject({ data: { viewer: { kind: "API_KEY" } } });
      expect(await waitingNow(gateway)).toBe("0");
      const stored = await db.prisma.usageRecord.findMany({ where: { idempotencyKey: { in: ["held-the-place", "never-stored"] } }, select: { idempotencyKey: true } });
      expect(stored).toEqual([{ idempotencyKey: "held-the-place" }]);
    } finally {
      await other.end();
      await gateway.close();
    }
  });
});
