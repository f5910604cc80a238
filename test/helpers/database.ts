// A fresh database per test file: a copy of the migrated PGlite template by default, or a new
// database on the PostgreSQL server of TEST_DATABASE_URL when TEST_DB=postgres.
import crypto from "node:crypto";
import fs from "node:fs";
import pg from "pg";
import { openPglite, openPostgres, type Database } from "../../src/db/client.js";
import { migrate } from "../../src/db/migrate.js";

export const PGLITE_TEMPLATE = new URL("../.tmp/pglite-template.tar", import.meta.url);

export const usingPostgres = process.env.TEST_DB === "postgres";

export const POSTGRES_OPTIONS = {
  DB_POOL_SIZE: 20,
  DB_CONNECTION_TIMEOUT_MS: 10_000,
  DB_IDLE_TIMEOUT_MS: 10_000,
  DB_STATEMENT_TIMEOUT_MS: 60_000,
};

export interface TestDatabase {
  db: Database;
  /** postgres:// URL of this database (PostgreSQL runs only). */
  url: string | null;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (!usingPostgres) {
    const db = await openPglite(undefined, new Blob([fs.readFileSync(PGLITE_TEMPLATE)]));
    return { db, url: null, drop: () => db.close() };
  }
  const { url, drop } = await createPostgresDatabase();
  const db = await openPostgres(url, POSTGRES_OPTIONS);
  await migrate(db);
  return {
    db,
    url,
    async drop() {
      await db.close();
      await drop();
    },
  };
}

/** An empty database on the test server, and the function that drops it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) throw new Error("TEST_DB=postgres needs TEST_DATABASE_URL");
  const name = `bgtest_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** An empty database of the engine under test. */
export async function emptyDatabase(): Promise<{ open: () => Promise<Database>; drop: () => Promise<void> }> {
  if (!usingPostgres) {
    const db = await openPglite();
    return { open: async () => db, drop: () => db.close() };
  }
  const { url, drop } = await createPostgresDatabase();
  const opened: Database[] = [];
  return {
    open: async () => {
      const db = await openPostgres(url, POSTGRES_OPTIONS);
      opened.push(db);
      return db;
    },
    drop: async () => {
      await Promise.all(opened.map((db) => db.close()));
      await drop();
    },
  };
}
