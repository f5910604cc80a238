// The month-to-date migration fills each execution's running total from the executions already
// stored: per workspace, per calendar month of the workspace's own zone, in (startedAt, id) order.
import { describe, expect } from "vitest";
import { migrate, readMigrationFiles } from "../../src/db/migrate.js";
import { emptyDatabaseTest } from "../helpers/fixtures.js";

const MIGRATION = "20261210000000_execution_month_to_date";
const H = 3_600_000;
// 1 March 2026, 00:00 in Kolkata (UTC+05:30) and in UTC.
const KOLKATA_MARCH = Date.parse("2026-02-28T18:30:00Z");
const UTC_MARCH = Date.parse("2026-03-01T00:00:00Z");

const test = emptyDatabaseTest();

describe("the month-to-date migration", () => {
  test("fills every execution's running total by its workspace's calendar month", async ({ db }) => {
    await migrate(db, readMigrationFiles().filter((file) => file.name < MIGRATION));
    const org = await db.prisma.organization.create({ data: { slug: "mtd", name: "mtd" } });
    const workspace = async (slug: string, timeZone: string) => {
      const { id } = await db.prisma.workspace.create({ data: { slug, name: slug, organizationId: org.id, timeZone } });
      const [workflow] = await db.prisma.$queryRawUnsafe<{ id: string }[]>(
        `INSERT INTO "Workflow" (id, "workspaceId", name) VALUES (gen_random_uuid(), $1::uuid, 'wf') RETURNING id::text`, id,
      );
      return async (at: number, costUsd: string) => {
        const [row] = await db.prisma.$queryRawUnsafe<{ id: bigint }[]>(
          `INSERT INTO "Execution" ("workspaceId", "workflowId", "startedAt", trigger, model, "costUsd")
           VALUES ($1::uuid, $2::uuid, $3::timestamptz, 'api', 'gpt-4o', $4::numeric) RETURNING id`,
          id, workflow!.id, new Date(at).toISOString(), costUsd,
        );
        return row!.id;
      };
    };
    const kolkata = await workspace("kolkata", "Asia/Kolkata");
    const utc = await workspace("utc", "UTC");
    // Inserted out of time order: the fill goes by (startedAt, id), not by insertion.
    const ids = {
      k3: await kolkata(KOLKATA_MARCH + 10 * H, "4"),
      k1: await kolkata(KOLKATA_MARCH - H, "1"), // 23:00 on 28 February in Kolkata
      k2: await kolkata(KOLKATA_MARCH + H, "2"), // 01:00 on 1 March in Kolkata, still February in UTC
      k4: await kolkata(KOLKATA_MARCH + 10 * H, "8"), // the same instant as k3, a later id
      u1: await utc(KOLKATA_MARCH + H, "16"), // February in UTC
      u2: await utc(UTC_MARCH + H, "32"),
      u3: await utc(UTC_MARCH + 2 * H, "64"),
    };

    expect(await migrate(db)).toContain(MIGRATION);
    const rows = await db.prisma.$queryRawUnsafe<{ id: bigint; total: string }[]>(`SELECT id, "monthToDateUsd"::text AS total FROM "Execution"`);
    const totals = new Map(rows.map((row) => [row.id, Number(row.total)]));
    expect(Object.fromEntries(Object.entries(ids).map(([name, id]) => [name, totals.get(id)]))).toEqual({
      k1: 1, k2: 2, k3: 6, k4: 14, u1: 16, u2: 32, u3: 96,
    });
    const [column] = await db.prisma.$queryRawUnsafe<{ nullable: string }[]>(
      `SELECT is_nullable AS nullable FROM information_schema.columns WHERE table_name = 'Execution' AND column_name = 'monthToDateUsd'`,
    );
    expect(column!.nullable).toBe("NO");
  });
});
