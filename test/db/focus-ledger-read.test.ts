// A FOCUS export reads a workspace's ledger rows that are not metered usage (purchases, grants,
// expirations, …) by the partial index kept for them. Through Prisma, whose cast enum parameter
// kept the planner from proving the index's predicate, it scanned the whole ledger first.
import { describe, expect } from "vitest";
import { seedBulk } from "../../src/seed/bulk.js";
import { unmeteredLedgerPage } from "../../src/store/ledger.js";
import { directSql } from "../../src/store/rows.js";
import { databaseTest } from "../helpers/fixtures.js";
import { indexesOf } from "../helpers/plans.js";

const test = databaseTest();
const DAY = 86_400_000;

describe("the FOCUS export's read of ledger rows that are not metered usage", () => {
  test("takes their partial index, and pages exactly those rows of the window in id order", async ({ db, clock }) => {
    const [workspace] = await seedBulk(db, { workspaces: 1, days: 40, events: 3_000, now: clock.now() });
    const window = { from: new Date(clock.now().getTime() - 30 * DAY), to: clock.now() };
    const query = { workspaceId: workspace!.id, ...window, afterId: 0n, take: 1_000 };

    const scans = await indexesOf(db, "CreditTransaction", (run) => unmeteredLedgerPage(run, query));
    expect(scans.map((node) => node["Index Name"])).toEqual(["CreditTransaction_unmetered_idx"]);

    const expected = await db.prisma.creditTransaction.findMany({
      where: { workspaceId: workspace!.id, occurredAt: { gte: window.from, lt: window.to }, NOT: { type: "USAGE", usageRecordId: { not: null } } },
      orderBy: { id: "asc" },
    });
    expect(expected.length).toBeGreaterThan(2); // the seed's purchases, grants and expirations, not only usage
    const rows = await unmeteredLedgerPage(directSql(db), query);
    expect(rows).toEqual(expected);
    const page = await unmeteredLedgerPage(directSql(db), { ...query, afterId: expected[0]!.id, take: 2 });
    expect(page.map((row) => row.id)).toEqual(expected.slice(1, 3).map((row) => row.id));
  });
});
