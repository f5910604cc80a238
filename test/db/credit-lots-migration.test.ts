// The credit-lots migration replays a ledger written before lots existed: every row that added
// credits becomes a lot, every debit is allocated as the migration's comment says, and no balance
// changes, not even later: credits whose expiry passed before the migration, and that the old
// ledger still counted, keep counting.
import { describe, expect } from "vitest";
import type { Database } from "../../src/db/client.js";
import { frozenClock } from "../../src/domain/clock.js";
import { creditBalance } from "../../src/domain/ledger.js";
import { migrate, readMigrationFiles } from "../../src/db/migrate.js";
import { emptyDatabaseTest } from "../helpers/fixtures.js";
import { operatorAt } from "../helpers/gateway.js";
import { ledgerViolations } from "../helpers/ledger-invariants.js";

const LOTS_MIGRATION = "20261202000000_credit_lots";
const T = Date.parse("2026-03-01T00:00:00Z");
const H = 3_600_000;
const DAY = 24 * H;

const test = emptyDatabaseTest();

type Row = [type: string, amount: number, at: number, extra?: { money?: string; expiresAt?: number }];

/** A ledger as the gateway wrote it before lots: rows in order, each with its running balance. */
async function legacyLedger(db: Database, slug: string, rows: Row[]): Promise<string> {
  const org = await db.prisma.organization.create({ data: { slug, name: slug } });
  const workspace = await db.prisma.workspace.create({ data: { slug: `${slug}-ws`, name: slug, organizationId: org.id, allowOverdraft: true } });
  let balance = 0;
  for (const [type, amount, at, extra = {}] of rows) {
    balance += amount;
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO "CreditTransaction" ("workspaceId", type, amount, "balanceAfter", "moneyAmount", "moneyCurrency", description, "expiresAt", "occurredAt")
       VALUES ($1::uuid, $2::"CreditTransactionType", $3::numeric, $4::numeric, $5::numeric, $6, $2, $7::timestamptz, $8::timestamptz)`,
      workspace.id, type, String(amount), String(balance), extra.money ?? null, extra.money ? "USD" : null,
      extra.expiresAt ? new Date(extra.expiresAt).toISOString() : null, new Date(at).toISOString(),
    );
  }
  await db.prisma.workspace.update({ where: { id: workspace.id }, data: { creditBalance: String(balance) } });
  return workspace.id;
}

const snapshot = async (db: Database) => ({
  rows: (await db.prisma.$queryRawUnsafe<unknown[]>(`SELECT id, type, amount::text, "balanceAfter"::text FROM "CreditTransaction" ORDER BY id`)),
  balances: (await db.prisma.$queryRawUnsafe<unknown[]>(`SELECT id, "creditBalance"::text FROM "Workspace" ORDER BY id`)),
});

describe("the credit-lots migration", () => {
  test("turns a legacy ledger into lots and allocations without changing any balance", async ({ db }) => {
    await migrate(db, readMigrationFiles().filter((file) => file.name < LOTS_MIGRATION));
    const workspaceId = await legacyLedger(db, "legacy", [
      ["GRANT", 1000, T, { expiresAt: T + 10 * DAY }],
      ["PURCHASE", 2000, T + H, { money: "20.00", expiresAt: T + 365 * DAY }],
      ["USAGE", -1500, T + 2 * H], // the grant first (sooner expiry), then 500 bought
      ["GRANT", 300, T + 3 * H, { expiresAt: T + 5 * DAY }],
      ["USAGE", -100, T + 6 * DAY], // after the 300 expired: bought credits, which had not
      ["EXPIRATION", -300, T + 5 * DAY], // the 300, as the old ledger posted it
      ["REFUND", 50, T + 7 * DAY],
      ["ADJUSTMENT", -1500, T + 8 * DAY], // the last 1400 bought, the refund, and 50 overdraft
      ["ADJUSTMENT", 80, T + 9 * DAY], // settles the 50 owed
      ["GRANT", 40, T + 9 * DAY + H, { expiresAt: T + 9 * DAY + 2 * H }], // expired unused, never posted
    ]);
    const other = await legacyLedger(db, "other", [["PURCHASE", 10, T, { money: "0.30" }], ["USAGE", -4, T + H]]);
    const before = await snapshot(db);

    expect(await migrate(db)).toEqual([LOTS_MIGRATION, ...readMigrationFiles().map((f) => f.name).filter((name) => name > LOTS_MIGRATION)]);
    expect(await snapshot(db)).toEqual(before);

    const lots = await db.prisma.creditLot.findMany({ where: { workspaceId }, orderBy: { id: "asc" } });
    expect(lots.map((l) => [l.source, l.priority, l.originalCredits.toFixed(), l.remainingCredits.toFixed(), l.originalCostUsd.toFixed(), l.remainingCostUsd.toFixed(), l.expiresAt?.getTime() ?? null])).toEqual([
      ["GRANT", 50, "1000", "0", "0", "0", T + 10 * DAY],
      ["PURCHASE", 50, "2000", "0", "20", "0", T + 365 * DAY],
      ["GRANT", 50, "300", "0", "0", "0", T + 5 * DAY],
      ["REFUND", 50, "50", "0", "0", "0", null],
      ["ADJUSTMENT", 50, "80", "30", "0", "0", null],
      ["GRANT", 50, "40", "40", "0", "0", null], // its expiry passed unposted before the migration: it keeps counting
    ]);
    const ledger = await db.prisma.creditTransaction.findMany({ where: { workspaceId }, orderBy: { id: "asc" }, include: { allocations: { orderBy: { id: "asc" } } } });
    const lotIndex = (id: bigint | null) => (id === null ? null : lots.findIndex((l) => l.id === id));
    expect(ledger.filter((t) => t.amount.isNegative()).map((t) => [t.type, t.costUsd.toFixed(), t.allocations.map((a) => [lotIndex(a.lotId), a.credits.toFixed(), a.costUsd.toFixed()])])).toEqual([
      ["USAGE", "5", [[0, "1000", "0"], [1, "500", "5"]]],
      ["USAGE", "1", [[1, "100", "1"]]],
      ["EXPIRATION", "0", [[2, "300", "0"]]],
      ["ADJUSTMENT", "14", [[1, "1400", "14"], [3, "50", "0"], [4, "50", "0"]]],
    ]);
    // What each debit drew, as the FOCUS export reads it (lotDraws, filled by a later migration).
    const adjustment = ledger.find((t) => t.type === "ADJUSTMENT")!;
    expect(adjustment.lotDraws).toBe(`${lots[1]!.id}:1400:14 ${lots[3]!.id}:50:0 ${lots[4]!.id}:50:0`);
    expect(lots[2]!.expirationTransactionId).toBe(ledger[5]!.id);
    // When each lot was drawn on: the purchase by usage from T+2h to the adjustment at T+8d.
    expect(lots.map((l) => [l.firstDrawnAt?.getTime() ?? null, l.lastDrawnAt?.getTime() ?? null])).toEqual([
      [T + 2 * H, T + 2 * H], [T + 2 * H, T + 8 * DAY], [T + 5 * DAY, T + 5 * DAY], [T + 8 * DAY, T + 8 * DAY], [T + 8 * DAY, T + 8 * DAY], [null, null],
    ]);
    expect(await ledgerViolations(db, workspaceId)).toEqual({});
    expect(await ledgerViolations(db, other)).toEqual({});
    expect((await db.prisma.creditTransaction.findFirstOrThrow({ where: { workspaceId: other, type: "USAGE" } })).costUsd.toFixed()).toBe("0.12");

    // The balance the gateway reads is the one the old ledger kept.
    const balance = await creditBalance(await operatorAt(db, frozenClock(new Date(T + 20 * DAY))), { id: workspaceId });
    expect([balance.credits.toFixed(), balance.freeCredits.toFixed(), balance.paidCredits.toFixed()]).toEqual(["70", "70", "0"]);
    expect(balance.credits.eq((before.balances as { id: string; creditBalance: string }[]).find((w) => w.id === workspaceId)!.creditBalance)).toBe(true);
  });
});
