// Under a burst on one workspace (PostgreSQL, where connections are many and another process may
// hold the workspace's lock): every batch is served or refused with 503 OVERLOADED and a
// Retry-After, never a 500; a refused batch wrote nothing and goes through on retry; and another
// tenant's reads keep their latency meanwhile. The queue's own rules are unit-tested in
// test/domain/write-queue.test.ts, on every database.
import pg from "pg";
import { describe, expect } from "vitest";
import { grantCredits } from "../../src/domain/credits.js";
import { LEDGER_WRITES_PER_WORKSPACE } from "../../src/domain/write-queue.js";
import { insertPriceList } from "../../src/seed/price-list.js";
import { openPostgres } from "../../src/db/client.js";
import { POSTGRES_OPTIONS, usingPostgres } from "../helpers/database.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, operatorAt, startGateway, type TestGateway } from "../helpers/gateway.js";
import { ledgerViolations } from "../helpers/ledger-invariants.js";

const test = gatewayTest().extend("priceList", { scope: "file", auto: true }, ({ db }) => db.withSession((session) => insertPriceList(session)));

/** `n` records of 0.125 credits each. */
const batch = (prefix: string, n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ idempotencyKey: `${prefix}-${i}`, sku: "storage-gb-hours", units: "12.5" })));

async function send(gateway: TestGateway, key: string, body: string) {
  const response = await fetch(`${gateway.url}/api/v1/events`, { method: "POST", headers: { "content-type": "application/json", ...bearer(key) }, body });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as { accepted?: number; duplicates?: number; error?: { code: string } } };
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;

describe.runIf(usingPostgres)("a burst of writes on one workspace", () => {
  test("is served or refused with 503 OVERLOADED and Retry-After, never 500; refused batches wrote nothing and pass on retry", async ({ db, database, clock, tenants: { acme } }) => {
    await grantCredits(await operatorAt(db, clock), { id: acme.workspaceId }, { credits: "100000", description: "burst budget" });
    const gateway = await startGateway(db, { clock, env: { WRITE_QUEUE_MAX_DEPTH: "3", WRITE_MAX_WAIT_MS: "20000" } });
    // Another process holds the workspace's ledger lock: the first two writes wait for it (one
    // for the lock, one preparing), three queue behind them, and the rest are refused at once,
    // whatever the machine's speed.
    const served = LEDGER_WRITES_PER_WORKSPACE + 3;
    const other = new pg.Client({ connectionString: database.url! });
    await other.connect();
    try {
      await other.query("BEGIN");
      // The lock another gateway process takes: batches can still insert their records meanwhile.
      await other.query(`SELECT id FROM "Workspace" WHERE id = $1 FOR NO KEY UPDATE`, [acme.workspaceId]);
      const bodies = Array.from({ length: 30 }, (_, i) => batch(`burst-${i}`, 200));
      let settled = 0;
      const pending = bodies.map((body) => send(gateway, acme.keys.write, body).finally(() => settled++));
      await expect.poll(() => settled, { timeout: 20_000 }).toBe(30 - served);
      await other.query("ROLLBACK");
      const answers = await Promise.all(pending);

      const refused = answers.flatMap((a, i) => (a.status === 503 ? [i] : []));
      expect(refused).toHaveLength(30 - served);
      for (const i of refused) {
        expect(answers[i]!.body.error?.code).toBe("OVERLOADED");
        expect(Number(answers[i]!.retryAfter)).toBeGreaterThanOrEqual(1);
      }
      expect(answers.filter((a) => a.status === 200).map((a) => a.body.accepted)).toEqual(Array.from({ length: served }, () => 200));
      // What was refused wrote nothing: only the served batches' records are stored.
      const stored = () => db.prisma.usageRecord.count({ where: { workspaceId: acme.workspaceId, idempotencyKey: { startsWith: "burst-" } } });
      expect(await stored()).toBe(served * 200);
      for (const i of refused) expect((await send(gateway, acme.keys.write, bodies[i]!)).body.accepted).toBe(200);
      expect(await stored()).toBe(30 * 200);
      expect(await ledgerViolations(db, acme.workspaceId)).toEqual({});
    } finally {
      await other.end();
      await gateway.close();
    }
  });

  test("serves two batches that share keys in opposite orders without a deadlock: each key stored once", async ({ db, database, clock, tenants: { acme } }) => {
    const gateway = await startGateway(db, { clock });
    const other = new pg.Client({ connectionString: database.url! });
    await other.connect();
    try {
      const records = Array.from({ length: 500 }, (_, i) => ({ idempotencyKey: `order-${String(i).padStart(3, "0")}`, sku: "storage-gb-hours", units: "12.5" }));
      // Another transaction is inserting a key in the middle: both batches insert their records up
      // to it, from opposite ends, and wait; then it gives up. Rows inserted in the batches' own
      // orders would now deadlock (one batch refused after a second); in one order, they do not.
      await other.query("BEGIN");
      await other.query(
        `INSERT INTO "UsageRecord" ("workspaceId", "occurredAt", "skuId", units, "pricePerUnitUsd", amount, currency, "costUsd", credits, "resourceKind", "idempotencyKey")
         VALUES ($1::uuid, now(), 'storage-gb-hours', 1, 0, 0, 'USD', 0, 0, 'STORAGE', 'order-250')`,
        [acme.workspaceId],
      );
      const answers = Promise.all([records, [...records].reverse()].map((batch) => send(gateway, acme.keys.write, JSON.stringify(batch))));
      // Read outside the blocking transaction, which would see one snapshot of the activity.
      const waiting = async () => Number((await db.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'transactionid'`, []))[0]!.n);
      await expect.poll(waiting, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      await other.query("ROLLBACK");
      const [a, b] = (await answers) as [Awaited<ReturnType<typeof send>>, Awaited<ReturnType<typeof send>>];
      expect([a.status, b.status]).toEqual([200, 200]);
      expect([a.body.accepted! + b.body.accepted!, a.body.duplicates! + b.body.duplicates!]).toEqual([500, 500]);
      expect(await db.prisma.usageRecord.count({ where: { workspaceId: acme.workspaceId, idempotencyKey: { startsWith: "order-" } } })).toBe(500);
      expect(await ledgerViolations(db, acme.workspaceId)).toEqual({});
    } finally {
      await other.end();
      await gateway.close();
    }
  });

  test("leaves another tenant's reads their latency: 100 batches of 1,000 records while another process holds the workspace's lock", async ({ database, clock, tenants: { acme, globex } }) => {
    // The production pool (10 connections): writes that waited for the lock holding a connection
    // each would take them all, and the other tenant's reads would wait for the pool.
    const db = await openPostgres(database.url!, { ...POSTGRES_OPTIONS, DB_POOL_SIZE: 10, DB_CONNECTION_TIMEOUT_MS: 5_000 });
    const gateway = await startGateway(db, { clock });
    const other = new pg.Client({ connectionString: database.url! });
    await other.connect();
    try {
      await grantCredits(await operatorAt(db, clock), { id: acme.workspaceId }, { credits: "100000", description: "burst budget" });
      const read = async () => {
        const started = performance.now();
        const response = await fetch(`${gateway.url}/api/mcp/billing/summary`, { headers: bearer(globex.keys.read) });
        await response.arrayBuffer();
        return { status: response.status, ms: performance.now() - started };
      };
      const before: number[] = [];
      for (let i = 0; i < 30; i++) before.push((await read()).ms);

      await other.query("BEGIN");
      await other.query(`SELECT id FROM "Workspace" WHERE id = $1 FOR UPDATE`, [acme.workspaceId]);
      setTimeout(() => void other.query("ROLLBACK"), 3_000);
      let bursting = true;
      const during: { status: number; ms: number }[] = [];
      const reader = (async () => {
        while (bursting) during.push(await read());
      })();
      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => send(gateway, acme.keys.write, batch(`large-${i}`, 1_000))));
      bursting = false;
      await reader;

      expect(answers.filter((a) => a.status !== 200 && !(a.status === 503 && a.body.error?.code === "OVERLOADED"))).toEqual([]);
      expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
      expect(during.length).toBeGreaterThan(10);
      expect(during.filter((r) => r.status !== 200)).toEqual([]);
      const ms = during.map((r) => r.ms);
      const figures = { beforeP50: percentile(before, 50), duringP50: percentile(ms, 50), duringP95: percentile(ms, 95), duringMax: Math.max(...ms) };
      console.log(`other tenant's reads during the burst (ms): ${JSON.stringify(figures)}; ${answers.filter((a) => a.status === 200).length} of 100 batches served`);
      // The burst holds one connection; reads of others wait for CPU at most, not for the pool.
      expect(figures.duringP95).toBeLessThan(1_000);
      expect(await ledgerViolations(db, acme.workspaceId)).toEqual({});
    } finally {
      await other.end();
      await gateway.close();
      await db.close();
    }
  });

  test("a FOCUS request whose due expirations cannot be posted in time answers 503 OVERLOADED and spends none of the caller's budget", async ({ db, database, clock, tenants: { acme } }) => {
    const headers = { "content-type": "application/json", ...bearer(acme.keys.admin) };
    const gateway = await startGateway(db, { clock, env: { WRITE_MAX_WAIT_MS: "300", FOCUS_RATE_LIMIT_PER_MINUTE: "5" } });
    const other = new pg.Client({ connectionString: database.url! });
    await other.connect();
    try {
      const expiresAt = new Date(clock.now().getTime() + 1_000).toISOString();
      const grant = await fetch(`${gateway.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query: `mutation { grantCredits(input: { credits: "3", expiresAt: "${expiresAt}" }) { __typename } }` }) });
      expect(await grant.json()).toMatchObject({ data: { grantCredits: { __typename: "CreditTransactionPayload" } } });
      clock.advance(2_000); // the lot is due; no job ran
      const now = clock.now().getTime();
      const url = `${gateway.url}/api/billing/focus-export?from=${now - 86_400_000}&to=${now}&format=csv`;

      await other.query("BEGIN");
      await other.query(`SELECT id FROM "Workspace" WHERE id = $1 FOR UPDATE`, [acme.workspaceId]);
      const refused = await fetch(url, { headers });
      expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code, refused.headers.get("retry-after")]).toEqual([503, "OVERLOADED", "1"]);
      await other.query("ROLLBACK");

      const served = await fetch(url, { headers });
      expect(served.status).toBe(200);
      expect(served.headers.get("ratelimit-remaining")).toBe("4"); // the refused request spent nothing
      expect(await served.text()).toContain(",expiration,"); // x_CreditTransactionType of the row posted
    } finally {
      await other.end();
      await gateway.close();
    }
  });
});
