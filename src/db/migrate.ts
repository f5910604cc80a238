// Applies prisma/migrations/<timestamp>_<name>/migration.sql in order. Prisma's own `migrate deploy`
// needs a native engine that cannot be installed here, so this runner does the same job and keeps
// Prisma's `_prisma_migrations` ledger (and advisory-lock key), so that Prisma can take over later.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { StartupError } from "../config/startup-error.js";
import type { Database, SqlSession } from "./client.js";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

/** The key Prisma Migrate locks on, so that this runner and `prisma migrate` exclude each other. */
const PRISMA_MIGRATE_LOCK_KEY = 72707369;

export class MigrationError extends StartupError {}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export function readMigrationFiles(dir = MIGRATIONS_DIR): MigrationFile[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: crypto.createHash("sha256").update(sql).digest("hex") };
    });
}

const CREATE_LEDGER = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** Applies every pending migration; returns the names applied. Safe to run from several processes. */
export async function migrate(db: Database, files = readMigrationFiles()): Promise<string[]> {
  return db.withSession(async (session) => {
    await session.query("SELECT pg_advisory_lock($1)", [PRISMA_MIGRATE_LOCK_KEY]);
    try {
      await session.exec(CREATE_LEDGER);
      const pending = planMigrations(files, await appliedRows(session));
      for (const file of pending) await applyOne(session, file);
      return pending.map((file) => file.name);
    } finally {
      await session.query("SELECT pg_advisory_unlock($1)", [PRISMA_MIGRATE_LOCK_KEY]);
    }
  });
}

/** The migrations still to apply, or an error when the database and the files disagree. */
export function planMigrations(files: MigrationFile[], applied: AppliedRow[]): MigrationFile[] {
  const byName = new Map(files.map((file) => [file.name, file]));
  for (const row of applied) {
    if (row.rolled_back_at) continue;
    if (!row.finished_at) {
      throw new MigrationError(`Migration ${row.migration_name} started but did not finish; resolve it before starting`);
    }
    const file = byName.get(row.migration_name);
    if (!file) {
      throw new MigrationError(
        `The database has migration ${row.migration_name}, which this build does not know; run a newer gateway`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        `Migration ${row.migration_name} was changed after it was applied (checksum differs); restore the original file and add a new migration instead`,
      );
    }
  }
  const done = new Set(applied.filter((row) => row.finished_at && !row.rolled_back_at).map((r) => r.migration_name));
  return files.filter((file) => !done.has(file.name));
}

/** Names of migrations on disk that the database has not applied (for /ready). */
export async function pendingMigrations(db: Database, files = readMigrationFiles()): Promise<string[]> {
  const rows = await db.prisma.$queryRawUnsafe<{ migration_name: string }[]>(
    `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  const done = new Set(rows.map((row) => row.migration_name));
  return files.filter((file) => !done.has(file.name)).map((file) => file.name);
}

async function appliedRows(session: SqlSession): Promise<AppliedRow[]> {
  return session.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
  );
}

/** One transaction per migration: a failing file leaves no trace but the error. */
async function applyOne(session: SqlSession, file: MigrationFile): Promise<void> {
  const id = crypto.randomUUID();
  await session.exec("BEGIN");
  try {
    await session.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())`,
      [id, file.checksum, file.name],
    );
    await session.exec(file.sql);
    await session.query(
      `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await session.exec("COMMIT");
  } catch (error) {
    await session.exec("ROLLBACK");
    throw new MigrationError(`Migration ${file.name} failed and was rolled back: ${(error as Error).message}`);
  }
}
