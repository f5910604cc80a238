// API keys are read from the database once per process and then served from memory; a change to a
// key (revoked by another process, by the command line or by an operator's SQL) or to an
// organization's workspaces takes effect at the next request, and while the process cannot hear
// about changes it reads every key from the database.
import pg from "pg";
import { describe, expect } from "vitest";
import { hashApiKey } from "../../src/auth/api-key-secret.js";
import { openPostgres, type Database } from "../../src/db/client.js";
import { revokeApiKey } from "../../src/domain/api-keys.js";
import { POSTGRES_OPTIONS, usingPostgres } from "../helpers/database.js";
import { gatewayTest } from "../helpers/fixtures.js";
import { bearer, operatorAt, type TestGateway } from "../helpers/gateway.js";

const test = gatewayTest();

const Viewer = `{ viewer { kind workspaces { slug } } }`;

async function viewer(gateway: TestGateway, key: string) {
  const response = await fetch(`${gateway.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...bearer(key) }, body: JSON.stringify({ query: Viewer }) });
  return { status: response.status, body: (await response.json()) as { data?: { viewer: { workspaces: { slug: string }[] } } } };
}

/** The statements that read API keys while `fn` runs. */
async function keyStatements(db: Database, fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const stop = db.onQuery((sql) => void (/^\s*SELECT/i.test(sql) && sql.includes('"ApiKey"') && seen.push(sql)));
  try {
    await fn();
  } finally {
    stop();
  }
  return seen;
}

/** Another process's handle on the same database (on PGlite, the one handle: it has one process). */
async function otherProcess(db: Database, url: string | null): Promise<{ db: Database; close: () => Promise<void> }> {
  if (!url) return { db, close: async () => {} };
  const other = await openPostgres(url, POSTGRES_OPTIONS);
  return { db: other, close: () => other.close() };
}

/** A NOTIFY is delivered after the commit, within moments: a second is plenty, a cached key would stay for a minute. */
const NOTIFIED = { timeout: 1_000, interval: 20 };

const listenerPid = async (client: pg.Client) =>
  (await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN "gateway_api_keys"'`)).rows[0]?.pid;

describe("the API key cache", () => {
  test("reads a key once, and refuses it at the next request after another process revokes it", async ({ gateway, db, database, clock, tenants: { acme } }) => {
    expect((await viewer(gateway, acme.keys.read)).status).toBe(200);
    // Served from memory: no statement reads the key (its last use was recorded by the first request).
    expect(await keyStatements(db, async () => expect((await viewer(gateway, acme.keys.read)).status).toBe(200))).toEqual([]);

    const other = await otherProcess(db, database.url);
    try {
      const key = await other.db.prisma.apiKey.findUniqueOrThrow({ where: { secretHash: hashApiKey(acme.keys.read) } });
      await revokeApiKey(await operatorAt(other.db, clock), key.id);
      await expect.poll(async () => (await viewer(gateway, acme.keys.read)).status, NOTIFIED).toBe(401);
      // An operator's SQL is heard as well.
      expect((await viewer(gateway, acme.keys.write)).status).toBe(200);
      await other.db.prisma.$executeRaw`UPDATE "ApiKey" SET "revokedAt" = now() WHERE "secretHash" = ${hashApiKey(acme.keys.write)}`;
      await expect.poll(async () => (await viewer(gateway, acme.keys.write)).status, NOTIFIED).toBe(401);
    } finally {
      await other.close();
    }
  });

  test("checks a cached key's expiry against each request's clock", async ({ gateway, db, clock, tenants: { acme } }) => {
    const expiring = await fetch(`${gateway.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer(acme.keys.admin) },
      body: JSON.stringify({ query: `mutation { createApiKey(input: { name: "soon", scopes: [READ_BILLING], expiresAt: "${new Date(clock.now().getTime() + 60_000).toISOString()}" }) { ... on CreateApiKeyPayload { secret } } }` }),
    });
    const secret = ((await expiring.json()) as { data: { createApiKey: { secret: string } } }).data.createApiKey.secret;
    expect((await viewer(gateway, secret)).status).toBe(200);
    expect(await keyStatements(db, async () => expect((await viewer(gateway, secret)).status).toBe(200))).toEqual([]);
    clock.advance(61_000);
    expect((await viewer(gateway, secret)).status).toBe(401);
  });

  test("gives an organization key a workspace added to its organization at the next request", async ({ gateway, db, database, tenants: { acme } }) => {
    const before = (await viewer(gateway, acme.keys.orgAdmin)).body.data!.viewer.workspaces.map((w) => w.slug);
    expect(before.length).toBeGreaterThan(0);
    const other = await otherProcess(db, database.url);
    try {
      await other.db.prisma.workspace.create({ data: { organizationId: acme.orgId, slug: "acme-new", name: "New" } });
      const after = async () => (await viewer(gateway, acme.keys.orgAdmin)).body.data!.viewer.workspaces.map((w) => w.slug).sort();
      await expect.poll(after, NOTIFIED).toEqual([...before, "acme-new"].sort());
    } finally {
      await other.close();
    }
  });

  test.runIf(usingPostgres)("reads keys from the database while it cannot hear about changes, and listens again by itself", async ({ gateway, db, database, clock, tenants: { globex } }) => {
    const admin = new pg.Client({ connectionString: database.url! });
    await admin.connect();
    const other = await otherProcess(db, database.url);
    try {
      for (const key of [globex.keys.read, globex.keys.admin, globex.keys.admin]) expect((await viewer(gateway, key)).status).toBe(200);
      expect(await keyStatements(db, () => viewer(gateway, globex.keys.admin))).toEqual([]); // cached
      const pid = await listenerPid(admin);
      expect(pid).toBeDefined();
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Deaf meanwhile: the revocation's message is lost, and the key is read again, so it is refused.
      const key = await other.db.prisma.apiKey.findUniqueOrThrow({ where: { secretHash: hashApiKey(globex.keys.read) } });
      await revokeApiKey(await operatorAt(other.db, clock), key.id);
      expect((await viewer(gateway, globex.keys.read)).status).toBe(401);
      expect((await keyStatements(db, () => viewer(gateway, globex.keys.admin))).length).toBeGreaterThan(0);

      await expect.poll(async () => [undefined, pid].includes(await listenerPid(admin)), { timeout: 10_000 }).toBe(false);
      expect((await viewer(gateway, globex.keys.admin)).status).toBe(200); // read once more after the gap
      expect(await keyStatements(db, () => viewer(gateway, globex.keys.admin))).toEqual([]);
    } finally {
      await admin.end();
      await other.close();
    }
  });
});
