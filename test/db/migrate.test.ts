import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect } from "vitest";
import { migrate, MIGRATIONS_DIR, MigrationError, pendingMigrations, readMigrationFiles } from "../../src/db/migrate.js";
import { openPostgres } from "../../src/db/client.js";
import { createPostgresDatabase, emptyDatabase, POSTGRES_OPTIONS, usingPostgres } from "../helpers/database.js";
import { emptyDatabaseTest } from "../helpers/fixtures.js";

/** A migrations folder with the real migrations plus extra ones. */
function migrationsWith(extra: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bg-migrations-"));
  fs.cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

const test = emptyDatabaseTest();

describe("migration runner", () => {
  test("applies every migration once and records it in Prisma's ledger with a sha256 checksum", async ({ db }) => {
    const files = readMigrationFiles();
    expect(await migrate(db)).toEqual(files.map((f) => f.name));
    expect(await migrate(db)).toEqual([]);
    expect(await pendingMigrations(db)).toEqual([]);
    const rows = await db.prisma.$queryRawUnsafe<{ migration_name: string; checksum: string; applied_steps_count: number }[]>(
      `SELECT migration_name, checksum, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows).toEqual(
      files.map((f) => ({
        migration_name: f.name,
        checksum: crypto.createHash("sha256").update(fs.readFileSync(path.join(MIGRATIONS_DIR, f.name, "migration.sql"))).digest("hex"),
        applied_steps_count: 1,
      })),
    );
  });

  test("rolls back a failing migration whole and names it", async ({ db }) => {
    const dir = migrationsWith({
      "29990101000000_broken": `CREATE TABLE "HalfDone" (id int);\nSELECT * FROM "NoSuchTable";`,
    });
    await expect(migrate(db, readMigrationFiles(dir))).rejects.toThrow(/29990101000000_broken failed and was rolled back/);
    const tables = await db.prisma.$queryRawUnsafe<{ exists: boolean }[]>(`SELECT to_regclass('"HalfDone"') IS NOT NULL AS exists`);
    expect(tables).toEqual([{ exists: false }]);
    const ledger = await db.prisma.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '29990101000000_broken'`);
    expect(ledger).toHaveLength(0);
  });

  test("stops when an applied migration file was changed", async ({ db }) => {
    const dir = migrationsWith({ "29990102000000_extra": `CREATE TABLE "Extra" (id int);` });
    expect(await migrate(db, readMigrationFiles(dir))).toEqual(["29990102000000_extra"]);
    fs.writeFileSync(path.join(dir, "29990102000000_extra", "migration.sql"), `CREATE TABLE "Extra" (id bigint);`);
    await expect(migrate(db, readMigrationFiles(dir))).rejects.toThrow(MigrationError);
    await expect(migrate(db, readMigrationFiles(dir))).rejects.toThrow(/29990102000000_extra was changed after it was applied/);
  });

  test("stops when the database has a migration this build does not know", async ({ db }) => {
    await expect(migrate(db)).rejects.toThrow(/has migration 29990102000000_extra, which this build does not know/);
  });
});

describe.runIf(usingPostgres)("the gateway's PostgreSQL sessions", () => {
  test("run without JIT, whose compile time dwarfed the export's reads", async ({ db }) => {
    const [setting] = await db.prisma.$queryRawUnsafe<{ jit: string }[]>("SHOW jit");
    expect(setting?.jit).toBe("off");
  });

  test("run without parallel workers, whose start cost an export's last pages more than they saved", async ({ db }) => {
    const [setting] = await db.prisma.$queryRawUnsafe<{ max_parallel_workers_per_gather: string }[]>("SHOW max_parallel_workers_per_gather");
    expect(setting?.max_parallel_workers_per_gather).toBe("0");
  });

  test("apply a migration that runs longer than a request may, and requests keep their limit after it", async () => {
    // A fill from millions of usage records (the hourly tables') outlasted both DB_STATEMENT_TIMEOUT_MS
    // and the driver's read timeout 5 s after it ("Query read timeout"), and the gateway would not start.
    const { url, drop } = await createPostgresDatabase();
    const db = await openPostgres(url, { ...POSTGRES_OPTIONS, DB_POOL_SIZE: 1, DB_STATEMENT_TIMEOUT_MS: 100 });
    try {
      const slow = migrationsWith({ "99990101000000_slow_fill": `CREATE TABLE slow_fill AS SELECT 1 AS n FROM pg_sleep(5.3);` });
      expect(await migrate(db, readMigrationFiles(slow))).toContain("99990101000000_slow_fill");
      expect(await db.query(`SELECT n FROM slow_fill`, [])).toEqual([{ n: 1 }]);
      // The pool's one connection, which ran the migration, refuses a request's long statement again.
      const refused = await db.query(`SELECT pg_sleep(0.5)`, []).catch((error: unknown) => error);
      expect((refused as { code?: string }).code).toBe("57014");
    } finally {
      await db.close();
      await drop();
    }
  });

  test("fail a session whose connection is lost, leave the process running, and drop the connection", async () => {
    const { url, drop } = await createPostgresDatabase();
    const db = await openPostgres(url, { ...POSTGRES_OPTIONS, DB_POOL_SIZE: 1 });
    const pid = () => db.withSession(async (session) => (await session.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`))[0]!.pid);
    try {
      const first = await pid();
      const lost = await db.withSession((session) => session.exec(`SELECT pg_terminate_backend(pg_backend_pid())`)).catch((error: unknown) => error);
      expect(lost).toBeInstanceOf(Error);
      // The client's own error event came with it; had nobody listened, it would have ended the process.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const next = await pid();
      expect(next).not.toBe(first);
    } finally {
      await db.close();
      await drop();
    }
  });
});

describe.runIf(usingPostgres)("two gateways migrating one PostgreSQL database at once", () => {
  test("apply each migration exactly once and both start", async () => {
    const database = await emptyDatabase();
    try {
      const [a, b] = await Promise.all([database.open(), database.open()]);
      const results = await Promise.all([migrate(a!), migrate(b!)]);
      const files = readMigrationFiles().map((f) => f.name);
      expect([...results[0], ...results[1]].sort()).toEqual(files);
      const rows = await a!.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT COUNT(*)::int AS n FROM "_prisma_migrations"`);
      expect(rows[0]!.n).toBe(files.length);
    } finally {
      await database.drop();
    }
  });
});
