// A client that goes away halfway through a large FOCUS export: the gateway stops reading rows
// (no query after the one already under way), says so in its log, and keeps serving.
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/domain/api-keys.js";
import { seedBulk } from "../../src/seed/bulk.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { bearer, startGateway, type TestGateway } from "../helpers/gateway.js";

const RECORDS = 20_000; // 20 batches, about 36 MB of JSONL: far more than the socket buffers hold

describe("a client that disconnects during a FOCUS export", () => {
  let t: TestDatabase;
  let gateway: TestGateway;
  let key: string;
  let range: string;
  const logs: string[] = [];
  let usageReads = 0;

  beforeAll(async () => {
    t = await createTestDatabase();
    const [bulk] = await seedBulk(t.db, { workspaces: 1, days: 30, events: RECORDS });
    key = (await createApiKey(t.db.prisma, "operator", { name: "r", scopes: ["read:billing"], workspaceId: bulk!.id })).secret;
    range = `from=${Date.now() - 31 * 86_400_000}&to=${Date.now() + 1}`;
    t.db.onQuery((sql) => void (sql.includes('FROM "UsageRecord" u JOIN "Sku"') && usageReads++));
    gateway = await startGateway(t.db, {}, { write: (line) => void logs.push(line) });
  });
  afterAll(async () => {
    await gateway.close();
    await t.drop();
  });

  /** Reads the first bytes of the export, stops reading until the server is held up, then hangs up. */
  function readAFewBytesAndLeave(): Promise<number> {
    return new Promise((resolve, reject) => {
      const request = http.get(`${gateway.url}/api/billing/focus-export?${range}`, { headers: bearer(key) }, (res) => {
        res.once("data", (chunk: Buffer) => {
          res.pause();
          setTimeout(() => {
            request.destroy();
            resolve(chunk.length);
          }, 300);
        });
      });
      request.on("error", (error) => ((error as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(error)));
    });
  }

  it("stops reading rows, logs the cancellation, and keeps serving", async () => {
    expect(await readAFewBytesAndLeave()).toBeGreaterThan(0);
    await expect.poll(() => logs.some((line) => line.includes("focus export cancelled by the client")), { timeout: 10_000 }).toBe(true);
    const cancelled = JSON.parse(logs.find((line) => line.includes("cancelled by the client"))!) as { rows: number; complete: boolean };
    expect(cancelled.complete).toBe(false);
    expect(cancelled.rows).toBeGreaterThan(0);
    expect(cancelled.rows).toBeLessThan(RECORDS / 2);

    const readsAtCancel = usageReads;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(usageReads).toBe(readsAtCancel); // nothing read after the client left
    expect(usageReads).toBeLessThanOrEqual(cancelled.rows / 1_000 + 2); // the batches sent, and at most the one prefetched

    // Leaving again and again holds no connection: a whole export afterwards still completes.
    for (let i = 0; i < 3; i++) await readAFewBytesAndLeave();
    const whole = await fetch(`${gateway.url}/api/billing/focus-export?${range}&format=csv`, { headers: bearer(key) });
    const lines = (await whole.text()).trimEnd().split("\r\n");
    expect(lines.length - 1).toBeGreaterThanOrEqual(RECORDS);
    expect(logs.filter((line) => line.includes('"level":50'))).toEqual([]); // no errors logged
  });
});
