// Faults answer 503 with Retry-After and a code, on REST and GraphQL, never a 500, and the gateway
// recovers by itself: a PostgreSQL server of the test's own restarted and then stopped while
// clients write (every acknowledged record is stored once), a statement past statement_timeout, a
// workspace lock held by another process past lock_timeout, and a pool with no connection free.
import pg from "pg";
import { describe, expect, test as base } from "vitest";
import { openPostgres, type Database, type PostgresOptions } from "../../src/db/client.js";
import { migrate } from "../../src/db/migrate.js";
import { grantCredits } from "../../src/domain/credits.js";
import { insertPriceList } from "../../src/seed/price-list.js";
import { POSTGRES_OPTIONS, usingPostgres } from "../helpers/database.js";
import { databaseTest } from "../helpers/fixtures.js";
import { bearer, operatorAt, startGateway, type TestGateway } from "../helpers/gateway.js";
import { ledgerViolations } from "../helpers/ledger-invariants.js";
import { createTenant, type Tenant } from "../helpers/tenants.js";
import { canStartPostgres, startThrowawayPostgres } from "../helpers/throwaway-postgres.js";

const FAULT_CODES = ["DATABASE_UNAVAILABLE", "TIMEOUT", "OVERLOADED"];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function tenantWithCredits(db: Database, slug: string): Promise<Tenant> {
  await db.withSession((session) => insertPriceList(session));
  const tenant = await createTenant(db, slug);
  await grantCredits(await operatorAt(db), { id: tenant.workspaceId }, { credits: "100000", description: "fault budget" });
  return tenant;
}

async function post(gateway: TestGateway, key: string, records: object[]) {
  const response = await fetch(`${gateway.url}/api/v1/events`, { method: "POST", headers: { "content-type": "application/json", ...bearer(key) }, body: JSON.stringify(records) });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as { results?: { status: string }[]; error?: { code: string } } };
}

const UsageQuery = `{ workspace { usageRecords(first: 5) { totalCount } } }`;
async function rawGraphql(gateway: TestGateway, key: string, query: string) {
  const response = await fetch(`${gateway.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...bearer(key) }, body: JSON.stringify({ query }) });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] } };
}

describe.runIf(usingPostgres && canStartPostgres)("a PostgreSQL server restarted and stopped while clients write", () => {
  base("answers 503 with Retry-After meanwhile, stores every acknowledged record once, and recovers by itself", async () => {
    const server = await startThrowawayPostgres();
    const options: PostgresOptions = { DB_POOL_SIZE: 5, DB_CONNECTION_TIMEOUT_MS: 1_000, DB_IDLE_TIMEOUT_MS: 10_000, DB_STATEMENT_TIMEOUT_MS: 10_000 };
    const db = await openPostgres(server.url, options);
    let gateway: TestGateway | null = null;
    try {
      await migrate(db);
      const tenant = await tenantWithCredits(db, "faulty");
      gateway = await startGateway(db, { env: { DB_CONNECTION_TIMEOUT_MS: "1000" } });
      const live = gateway;
      const answers: { status: number; retryAfter: string | null; code?: string }[] = [];
      const acknowledged = new Set<string>();
      // Four clients, each sending 20 batches of 10 records, retrying a refused batch as it is.
      const client = async (c: number) => {
        for (let b = 0; b < 20; b++) {
          const records = Array.from({ length: 10 }, (_, r) => ({ idempotencyKey: `c${c}-b${b}-r${r}`, sku: "storage-gb-hours", units: "1" }));
          for (;;) {
            const answer = await post(live, tenant.keys.write, records).catch(() => ({ status: 0, retryAfter: null, body: {} as never }));
            answers.push({ status: answer.status, retryAfter: answer.retryAfter, code: answer.body.error?.code });
            if (answer.status === 200) {
              expect(answer.body.results!.every((r) => r.status === "accepted" || r.status === "duplicate")).toBe(true);
              records.forEach((r) => acknowledged.add(r.idempotencyKey));
              break;
            }
            await sleep(100); // sooner than Retry-After asks: the test is in a hurry
          }
          await sleep(20);
        }
      };
      const clients = Promise.all([0, 1, 2, 3].map(client));

      await sleep(300);
      await server.restart();
      await sleep(300);
      await server.stop();
      // While it is down: REST, GraphQL and readiness say so with 503, and nothing is a 500.
      const balance = await fetch(`${live.url}/api/mcp/credits/balance`, { headers: bearer(tenant.keys.read) });
      expect([balance.status, ((await balance.json()) as { error: { code: string } }).error.code]).toEqual([503, "DATABASE_UNAVAILABLE"]);
      expect(Number(balance.headers.get("retry-after"))).toBeGreaterThan(0);
      const query = await rawGraphql(live, tenant.keys.read, UsageQuery);
      expect([query.status, query.body.errors?.[0]?.extensions?.code]).toEqual([503, "DATABASE_UNAVAILABLE"]);
      expect(Number(query.retryAfter)).toBeGreaterThan(0);
      expect((await fetch(`${live.url}/ready`)).status).toBe(503);
      await sleep(2_000);
      await server.start();
      await clients;

      expect((await fetch(`${live.url}/ready`)).status).toBe(200);
      const refusals = answers.filter((a) => a.status !== 200);
      expect(refusals.length).toBeGreaterThan(0); // the faults were met
      expect(refusals.filter((a) => a.status !== 503 || !FAULT_CODES.includes(a.code!) || !(Number(a.retryAfter) > 0))).toEqual([]);
      expect(acknowledged.size).toBe(4 * 20 * 10);
      const stored = await db.prisma.usageRecord.groupBy({ by: ["idempotencyKey"], where: { workspaceId: tenant.workspaceId }, _count: true });
      expect(stored.length).toBe(acknowledged.size);
      expect(stored.every((row) => row._count === 1 && acknowledged.has(row.idempotencyKey))).toBe(true);
      expect(await ledgerViolations(db, tenant.workspaceId)).toEqual({});
    } finally {
      await gateway?.close();
      await db.close().catch(() => {});
      await server.destroy();
    }
  }, 120_000);
});

const test = databaseTest().extend("tenant", { scope: "file" }, ({ db }) => tenantWithCredits(db, "locked"));

/** A gateway over its own pool of the file's database, with these limits; and another session to hold locks. */
async function faultyGateway(url: string, pool: Partial<PostgresOptions>, env: Record<string, string> = {}, logs?: { write(line: string): void }) {
  const db = await openPostgres(url, { ...POSTGRES_OPTIONS, ...pool });
  const gateway = await startGateway(db, { env, logs });
  const other = new pg.Client({ connectionString: url });
  await other.connect();
  let closing: Promise<void> | null = null;
  const closeAll = async () => {
    await other.end();
    await gateway.close();
    await db.close();
  };
  return { gateway, other, close: () => (closing ??= closeAll()) };
}

describe.runIf(usingPostgres)("a slow or busy database", () => {
  test("a workspace lock held past WRITE_MAX_WAIT_MS: 503 OVERLOADED for its writes, reads go on; the write passes once it is free", async ({ database, tenant }) => {
    const { gateway, other, close } = await faultyGateway(database.url!, {}, { WRITE_MAX_WAIT_MS: "300" });
    try {
      await other.query("BEGIN");
      await other.query(`SELECT id FROM "Workspace" WHERE id = $1 FOR UPDATE`, [tenant.workspaceId]);
      const records = [{ idempotencyKey: "held-1", sku: "storage-gb-hours", units: "1" }];
      const refused = await post(gateway, tenant.keys.write, records);
      expect([refused.status, refused.body.error?.code, Number(refused.retryAfter) >= 1]).toEqual([503, "OVERLOADED", true]);
      const mutation = await rawGraphql(gateway, tenant.keys.admin, `mutation { grantCredits(input: { credits: "1", description: "x" }) { __typename } }`);
      expect([mutation.status, mutation.body.errors?.[0]?.extensions?.code]).toEqual([503, "OVERLOADED"]);
      expect((await fetch(`${gateway.url}/api/mcp/credits/balance`, { headers: bearer(tenant.keys.read) })).status).toBe(200);
      await other.query("ROLLBACK");
      expect((await post(gateway, tenant.keys.write, records)).body.results?.[0]?.status).toBe("accepted");
    } finally {
      await close();
    }
  });

  test("a statement past DB_STATEMENT_TIMEOUT_MS: 503 TIMEOUT on REST and GraphQL", async ({ database, tenant }) => {
    const { gateway, other, close } = await faultyGateway(database.url!, { DB_STATEMENT_TIMEOUT_MS: 300 });
    try {
      await other.query("BEGIN");
      await other.query(`LOCK TABLE "UsageRecord" IN ACCESS EXCLUSIVE MODE`);
      const rest = await fetch(`${gateway.url}/api/v1/billing/usage?workspaceId=${tenant.workspaceId}`, { headers: bearer(tenant.keys.read) });
      expect([rest.status, ((await rest.json()) as { error: { code: string } }).error.code, Number(rest.headers.get("retry-after")) >= 1]).toEqual([503, "TIMEOUT", true]);
      const query = await rawGraphql(gateway, tenant.keys.read, UsageQuery);
      expect([query.status, query.body.errors?.[0]?.extensions?.code]).toEqual([503, "TIMEOUT"]);
      await other.query("ROLLBACK");
      // A streamed export reads its first rows (the ledger's) before its 200: a code, not a cut-off file.
      await other.query("BEGIN");
      await other.query(`LOCK TABLE "CreditTransaction" IN ACCESS EXCLUSIVE MODE`);
      const now = Date.now();
      const focus = await fetch(`${gateway.url}/api/billing/focus-export?from=${now - 86_400_000}&to=${now}&format=csv`, { headers: bearer(tenant.keys.admin) });
      expect([focus.status, ((await focus.json()) as { error: { code: string } }).error.code]).toEqual([503, "TIMEOUT"]);
      await other.query("ROLLBACK");
      expect((await rawGraphql(gateway, tenant.keys.read, UsageQuery)).status).toBe(200);
    } finally {
      await close();
    }
  });

  test("the fields that one fault failed are logged as one fault", async ({ database, tenant }) => {
    const lines: string[] = [];
    const { gateway, other, close } = await faultyGateway(database.url!, { DB_STATEMENT_TIMEOUT_MS: 300 }, {}, { write: (line) => void lines.push(line) });
    try {
      await other.query("BEGIN");
      await other.query(`LOCK TABLE "UsageRecord" IN ACCESS EXCLUSIVE MODE`);
      const fields = ["a", "b", "c"].map((alias) => `${alias}: usageRecords(first: 1) { totalCount }`).join(" ");
      const query = await rawGraphql(gateway, tenant.keys.read, `{ workspace { ${fields} } }`);
      expect([query.status, query.body.errors?.map((e) => e.extensions?.code)]).toEqual([503, ["TIMEOUT", "TIMEOUT", "TIMEOUT"]]);
      expect(lines.filter((line) => line.includes("database fault answered 503"))).toHaveLength(1);
    } finally {
      await other.query("ROLLBACK");
      await close();
    }
  });

  test("a fault in the middle of a streamed export cuts the connection, so the file cannot pass for whole, and counts as 500", async ({ database, tenant }) => {
    const { gateway, other, close } = await faultyGateway(database.url!, { DB_STATEMENT_TIMEOUT_MS: 300 });
    const cut = `billing_gateway_http_requests_total{route="/api/billing/focus-export",method="GET",status="500"}`;
    const counted = async () => Number(new RegExp(`^${cut.replace(/[{}[\]()."/]/g, "\\$&")} (\\d+)$`, "m").exec(await (await fetch(`${gateway.url}/metrics`)).text())?.[1] ?? 0);
    try {
      // The ledger rows (the tenant's grant) come first and are sent with the 200; the usage rows behind the lock time out.
      await other.query("BEGIN");
      await other.query(`LOCK TABLE "UsageRecord" IN ACCESS EXCLUSIVE MODE`);
      const now = Date.now();
      const response = await fetch(`${gateway.url}/api/billing/focus-export?from=${now - 86_400_000}&to=${now + 60_000}&format=csv`, { headers: bearer(tenant.keys.admin) });
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow(/terminated/);
      await other.query("ROLLBACK");
      await expect.poll(counted, { timeout: 5_000 }).toBe(1);
    } finally {
      await close();
    }
  });

  // Two pools of DB_POOL_SIZE: the reads' pipelines, and Prisma's statements, transactions and exports.
  test.for([
    { pool: "the reads' pool", locked: "CreditLot", request: "balance" },
    { pool: "the other pool", locked: "UsageRecord", request: "usage count" },
  ] as const)("$pool with no connection free within DB_CONNECTION_TIMEOUT_MS: 503 OVERLOADED", async ({ locked, request }, { database, tenant }) => {
    const { gateway, other, close } = await faultyGateway(database.url!, { DB_POOL_SIZE: 1, DB_CONNECTION_TIMEOUT_MS: 300, DB_STATEMENT_TIMEOUT_MS: 5_000 }, { DB_CONNECTION_TIMEOUT_MS: "300" });
    // The balance reads its lots on the reads' pool; the usage count is Prisma's.
    const ask = async () => {
      if (request === "balance") {
        const response = await fetch(`${gateway.url}/api/mcp/credits/balance`, { headers: bearer(tenant.keys.read) });
        return [response.status, response.status === 200 ? null : ((await response.json()) as { error: { code: string } }).error.code];
      }
      const response = await rawGraphql(gateway, tenant.keys.read, UsageQuery);
      return [response.status, response.body.errors?.[0]?.extensions?.code ?? null];
    };
    try {
      await other.query("BEGIN");
      await other.query(`LOCK TABLE "${locked}" IN ACCESS EXCLUSIVE MODE`);
      // The pool's one connection waits for the lock; the next request waits for the connection.
      const holder = ask();
      await sleep(100);
      expect(await ask()).toEqual([503, "OVERLOADED"]);
      await other.query("ROLLBACK");
      expect(await holder).toEqual([200, null]);
      expect(await ask()).toEqual([200, null]);
    } finally {
      await close();
    }
  });

  describe("stopping (SIGTERM's close with a grace) while a write waits for a lock", () => {
    const waitingForLocks = async (db: Database) =>
      Number((await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`, []) as { n: number }[])[0]!.n);

    /** Sends one record and leaves once the write waits for the workspace's lock, as a client that gave up. */
    async function writeAndLeave(gateway: TestGateway, db: Database, key: string, idempotencyKey: string) {
      const client = new AbortController();
      const sent = fetch(`${gateway.url}/api/v1/events`, {
        method: "POST", signal: client.signal, headers: { "content-type": "application/json", ...bearer(key) },
        body: JSON.stringify([{ idempotencyKey, sku: "storage-gb-hours", units: "1" }]),
      }).catch(() => null);
      await expect.poll(() => waitingForLocks(db), { timeout: 5_000 }).toBe(1);
      client.abort();
      await sent;
    }
    const stored = (db: Database, workspaceId: string, idempotencyKey: string) => db.prisma.usageRecord.count({ where: { workspaceId, idempotencyKey } });

    test("the write of a client that has left ends, stored, before close() returns and the database closes; nothing is logged as a fault", async ({ database, tenant }) => {
      const lines: string[] = [];
      const { gateway, other, close } = await faultyGateway(database.url!, {}, {}, { write: (line) => void lines.push(line) });
      const probe = await openPostgres(database.url!, POSTGRES_OPTIONS);
      try {
        await other.query("BEGIN");
        await other.query(`SELECT id FROM "Workspace" WHERE id = $1 FOR UPDATE`, [tenant.workspaceId]);
        await writeAndLeave(gateway, probe, tenant.keys.write, "left-then-stopped");
        let stopped = false;
        const stopping = gateway.close(10_000).then(() => void (stopped = true));
        await sleep(300);
        expect(stopped).toBe(false); // the write still waits for the lock
        await other.query("ROLLBACK");
        await stopping;
        expect(await stored(probe, tenant.workspaceId, "left-then-stopped")).toBe(1);
        expect(lines.filter((line) => /fault|error/i.test(line))).toEqual([]);
      } finally {
        await close();
        await probe.close();
      }
    });

    test("past the grace, close() returns while the write still waits; the ledger stays exact", async ({ database, tenant }) => {
      const { gateway, other, close } = await faultyGateway(database.url!, {});
      const probe = await openPostgres(database.url!, POSTGRES_OPTIONS);
      try {
        await other.query("BEGIN");
        await other.query(`SELECT id FROM "Workspace" WHERE id = $1 FOR UPDATE`, [tenant.workspaceId]);
        await writeAndLeave(gateway, probe, tenant.keys.write, "stopped-past-grace");
        const started = performance.now();
        await gateway.close(300);
        expect(performance.now() - started).toBeLessThan(3_000);
        expect(await waitingForLocks(probe)).toBe(1); // close() did not wait for it
        await other.query("ROLLBACK");
        await close(); // the pool ends once the write has given its connection back
        expect(await ledgerViolations(probe, tenant.workspaceId)).toEqual({});
      } finally {
        await close();
        await probe.close();
      }
    });
  });
});
