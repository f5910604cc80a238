// A client that goes away halfway through a large FOCUS export: the gateway stops reading rows
// (no query after the one already under way), says so in its log, and keeps serving.
import http from "node:http";
import { describe, expect } from "vitest";
import { seedBulk } from "../../src/seed/bulk.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, operatorKey, type TestGateway } from "../helpers/gateway.js";

const RECORDS = 20_000; // 20 batches, about 36 MB of JSONL: far more than the socket buffers hold

const test = gatewayTest().extend("bulk", { scope: "file" }, async ({ db, clock }) => {
  const [bulk] = await seedBulk(db, { workspaces: 1, days: 30, events: RECORDS, now: clock.now() });
  const reads = { usage: 0 };
  db.onQuery((sql) => void (sql.includes('FROM "UsageRecord" u JOIN "Sku"') && reads.usage++));
  const now = clock.now().getTime();
  return {
    key: await operatorKey(db, { name: "r", scopes: ["read:billing"], workspaceId: bulk!.id }, clock),
    range: `from=${now - 31 * 86_400_000}&to=${now + 1}`,
    reads,
  };
});

/**
 * Reads the first bytes of the export, stops reading for `pauseMs` (until the server is held up),
 * then hangs up. Compressed, the whole export fits in the sockets' buffers and never holds the
 * server up: it is left at once, or a fast machine would finish it within the pause.
 */
function readAFewBytesAndLeave(gateway: TestGateway, key: string, range: string, headers: Record<string, string> = {}, pauseMs = 300): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${gateway.url}/api/billing/focus-export?${range}`, { headers: { ...bearer(key), ...headers } }, (res) => {
      res.once("data", (chunk: Buffer) => {
        res.pause();
        setTimeout(() => {
          request.destroy();
          resolve(chunk.length);
        }, pauseMs);
      });
    });
    request.on("error", (error) => ((error as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(error)));
  });
}

describe("a client that disconnects during a FOCUS export", () => {
  test.for([
    ["plain", {}, 300],
    ["gzip", { "accept-encoding": "gzip" }, 0],
  ] as const)("stops reading rows, logs the cancellation, and keeps serving (%s)", async ([, headers, pauseMs], { gateway, logs, bulk: { key, range, reads } }) => {
    const logged = logs.length;
    const readsBefore = reads.usage;
    expect(await readAFewBytesAndLeave(gateway, key, range, headers, pauseMs)).toBeGreaterThan(0);
    const mine = () => logs.slice(logged);
    await expect.poll(() => mine().some((line) => line.includes("focus export cancelled by the client")), { timeout: 10_000 }).toBe(true);
    const cancelled = JSON.parse(mine().find((line) => line.includes("cancelled by the client"))!) as { rows: number; complete: boolean };
    expect(cancelled.complete).toBe(false);
    expect(cancelled.rows).toBeGreaterThan(0);
    expect(cancelled.rows).toBeLessThan(RECORDS / 2);

    const readsAtCancel = reads.usage;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(reads.usage).toBe(readsAtCancel); // nothing read after the client left
    expect(reads.usage - readsBefore).toBeLessThanOrEqual(cancelled.rows / 1_000 + 2); // the batches sent, and at most the one prefetched

    // Leaving again and again holds no connection: a whole export afterwards still completes.
    for (let i = 0; i < 3; i++) await readAFewBytesAndLeave(gateway, key, range);
    const whole = await fetch(`${gateway.url}/api/billing/focus-export?${range}&format=csv`, { headers: bearer(key) });
    const lines = (await whole.text()).trimEnd().split("\r\n");
    expect(lines.length - 1).toBeGreaterThanOrEqual(RECORDS);
    expect(logs.filter((line) => line.includes('"level":50'))).toEqual([]); // no errors logged
  });
});
