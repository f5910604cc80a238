// The admission of API requests over HTTP: with one place and one seat in the queue, a request
// waits its turn and is then served; past the queue, GraphQL and REST answer 503 OVERLOADED with
// Retry-After in their own error shapes; probes are never queued. A subscription's stream holds
// the place (REQUEST_SLOW_MS is long here), so the test does not depend on timing.
import { describe, expect } from "vitest";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, startGateway } from "../helpers/gateway.js";

const test = gatewayTest();

const BALANCE = `subscription { creditBalanceChanged { credits } }`;

describe("admission of API requests", () => {
  test("a request waits for the place a stream holds; past the queue, 503 OVERLOADED in each API's error shape", async ({ db, clock, tenants: { acme } }) => {
    const gateway = await startGateway(db, { clock, env: { REQUESTS_AT_ONCE: "1", REQUEST_QUEUE_MAX_DEPTH: "1", REQUEST_SLOW_MS: "600000" } });
    const abort = new AbortController();
    try {
      const post = (query: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
        fetch(`${gateway.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...bearer(acme.keys.read), ...headers }, body: JSON.stringify({ query }), signal });
      // The stream's first event: it holds the one place from now until it is closed.
      const stream = await post(BALANCE, { accept: "text/event-stream" }, abort.signal);
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      let received = "";
      while (!received.includes("credits")) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`the stream ended before its first event: ${received}`);
        received += value;
      }

      const waiting = post(`{ viewer { kind } }`);
      // Once it holds the queue's one seat (the metrics count it), the next requests are refused at once.
      const waitingNow = async () => /^billing_gateway_requests_waiting (\d+)$/m.exec(await (await fetch(`${gateway.url}/metrics`)).text())?.[1];
      await expect.poll(waitingNow, { timeout: 10_000 }).toBe("1");
      const graphqlRefusal = await post(`{ __typename }`);
      expect(graphqlRefusal.status).toBe(503);
      expect(graphqlRefusal.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
      expect(await graphqlRefusal.json()).toEqual({ errors: [{ message: "The gateway is busy; retry shortly", extensions: { code: "OVERLOADED" } }] });

      const restRefusal = await fetch(`${gateway.url}/api/mcp/credits/balance`, { headers: bearer(acme.keys.read) });
      expect(restRefusal.status).toBe(503);
      expect(restRefusal.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
      expect(await restRefusal.json()).toEqual({ error: { code: "OVERLOADED", message: "The gateway is busy; retry shortly" } });
      // A refused write is answered without its body being read, and stores nothing (checked below).
      const refusedWrite = await fetch(`${gateway.url}/api/v1/events`, {
        method: "POST", headers: { "content-type": "application/json", ...bearer(acme.keys.write) },
        body: JSON.stringify([{ idempotencyKey: "never-stored", sku: "storage-gb-hours", units: "1" }]),
      });
      expect(refusedWrite.status).toBe(503);
      // Probes and metrics are not API requests: they never wait.
      expect((await fetch(`${gateway.url}/health`)).status).toBe(200);

      // The stream ends: the waiting query is served.
      abort.abort();
      const served = await waiting;
      expect(served.status).toBe(200);
      expect(await waitingNow()).toBe("0");
      expect(await served.json()).toMatchObject({ data: { viewer: { kind: "API_KEY" } } });
      expect(await db.prisma.usageRecord.count({ where: { idempotencyKey: "never-stored" } })).toBe(0);
    } finally {
      abort.abort();
      await gateway.close();
    }
  });
});
