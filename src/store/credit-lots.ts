// SQL of the credit-lot family: lots, the allocations that say which lot paid for which debit, and
// the overdraft still owed. Writes run inside the ledger's transaction, under its workspace lock.
import { arrayLiteral, insertRows, type ColumnSpec } from "./bulk-insert.js";
import { col, parseRows, type RowOf, type RunSql } from "./rows.js";

const openLot = {
  id: col.bigint(),
  priority: col.int(),
  expiresAt: col.date().nullable(),
  remainingCredits: col.decimal(),
  remainingCostUsd: col.decimal(),
  paid: col.bool(),
  firstDrawnAt: col.date().nullable(),
  lastDrawnAt: col.date().nullable(),
};
export type OpenLotRow = RowOf<typeof openLot>;

const OPEN_LOT_SELECT = `l.id, l.priority, l."expiresAt", l."remainingCredits", l."remainingCostUsd", l."originalCostUsd" > 0 AS paid, l."firstDrawnAt", l."lastDrawnAt"`;
/** Lots that still hold credits and have no EXPIRATION row (the partial indexes' predicate). */
const OPEN = `l."remainingCredits" > 0 AND l."expirationTransactionId" IS NULL`;

/** A workspace's lots that still hold credits, expired or not (the caller holds the ledger lock). */
export async function openLots(run: RunSql, workspaceId: string): Promise<OpenLotRow[]> {
  return parseRows(openLot, await run(`SELECT ${OPEN_LOT_SELECT} FROM "CreditLot" l WHERE l."workspaceId" = $1::uuid AND ${OPEN}`, [workspaceId]));
}

/** The stored balance and the open lots, read in one statement so that both come from one snapshot. */
export async function balanceWithOpenLots(run: RunSql, workspaceId: string): Promise<{ stored: string; lots: OpenLotRow[] }> {
  const rows = (await run(
    `SELECT w."creditBalance"::text AS stored, ${OPEN_LOT_SELECT}
     FROM "Workspace" w LEFT JOIN "CreditLot" l ON l."workspaceId" = w.id AND ${OPEN}
     WHERE w.id = $1::uuid`,
    [workspaceId],
  )) as { stored: unknown; id: unknown }[];
  const [first] = parseRows({ stored: col.text() }, rows.slice(0, 1));
  return { stored: first?.stored ?? "0", lots: parseRows(openLot, rows.filter((row) => row.id !== null)) };
}

export interface NewLotRow {
  id: bigint;
  source: "GRANT" | "PURCHASE" | "REFUND" | "ADJUSTMENT";
  transactionId: bigint;
  priority: number;
  originalCredits: string;
  remainingCredits: string;
  originalCostUsd: string;
  remainingCostUsd: string;
  expiresAt: Date | null;
  refundOfTransactionId: bigint | null;
  firstDrawnAt: Date | null;
  lastDrawnAt: Date | null;
  createdAt: Date;
}

const LOT_COLUMNS: ColumnSpec[] = [
  { name: "id", type: "int8" },
  { name: "source", type: '"CreditLotSource"' },
  { name: "transactionId", type: "int8" },
  { name: "priority", type: "int4" },
  { name: "originalCredits", type: "numeric" },
  { name: "remainingCredits", type: "numeric" },
  { name: "originalCostUsd", type: "numeric" },
  { name: "remainingCostUsd", type: "numeric" },
  { name: "expiresAt", type: "timestamptz" },
  { name: "refundOfTransactionId", type: "int8" },
  { name: "firstDrawnAt", type: "timestamptz" },
  { name: "lastDrawnAt", type: "timestamptz" },
  { name: "createdAt", type: "timestamptz" },
];

export async function insertLots(run: RunSql, workspaceId: string, lots: NewLotRow[]): Promise<void> {
  await insertRows(run, "CreditLot", LOT_COLUMNS, lots.map((lot) => [
    lot.id.toString(), lot.source, lot.transactionId.toString(), lot.priority, lot.originalCredits, lot.remainingCredits,
    lot.originalCostUsd, lot.remainingCostUsd, lot.expiresAt?.toISOString() ?? null, lot.refundOfTransactionId?.toString() ?? null,
    lot.firstDrawnAt?.toISOString() ?? null, lot.lastDrawnAt?.toISOString() ?? null, lot.createdAt.toISOString(),
  ]), { constants: [{ name: "workspaceId", type: "uuid", value: workspaceId }] });
}

export interface LotRemainder {
  id: bigint;
  remainingCredits: string;
  remainingCostUsd: string;
  expirationTransactionId: bigint | null;
  firstDrawnAt: Date | null;
  lastDrawnAt: Date | null;
}

/** Sets what lots still hold after a write, and when they were drawn, in one statement. */
export async function updateLotRemainders(run: RunSql, lots: LotRemainder[]): Promise<void> {
  if (lots.length === 0) return;
  await run(
    `UPDATE "CreditLot" l SET "remainingCredits" = u.credits, "remainingCostUsd" = u.cost,
       "expirationTransactionId" = COALESCE(u.expiration, l."expirationTransactionId"), "firstDrawnAt" = u.first, "lastDrawnAt" = u.last
     FROM unnest($1::int8[], $2::numeric[], $3::numeric[], $4::int8[], $5::timestamptz[], $6::timestamptz[]) AS u(id, credits, cost, expiration, first, last)
     WHERE l.id = u.id`,
    [
      arrayLiteral(lots.map((lot) => lot.id)), arrayLiteral(lots.map((lot) => lot.remainingCredits)), arrayLiteral(lots.map((lot) => lot.remainingCostUsd)),
      arrayLiteral(lots.map((lot) => lot.expirationTransactionId)),
      arrayLiteral(lots.map((lot) => lot.firstDrawnAt)), arrayLiteral(lots.map((lot) => lot.lastDrawnAt)),
    ],
  );
}

export interface AllocationRow {
  transactionId: bigint;
  lotId: bigint | null;
  credits: string;
  costUsd: string;
}

const ALLOCATION_COLUMNS: ColumnSpec[] = [
  { name: "transactionId", type: "int8" },
  { name: "lotId", type: "int8" },
  { name: "credits", type: "numeric" },
  { name: "costUsd", type: "numeric" },
];

export async function insertAllocations(run: RunSql, workspaceId: string, allocations: AllocationRow[]): Promise<void> {
  await insertRows(run, "CreditAllocation", ALLOCATION_COLUMNS, allocations.map((a) => [a.transactionId.toString(), a.lotId?.toString() ?? null, a.credits, a.costUsd]), {
    constants: [{ name: "workspaceId", type: "uuid", value: workspaceId }],
  });
}

const owedRow = { id: col.bigint(), transactionId: col.bigint(), credits: col.decimal(), occurredAt: col.date() };
export type OwedRow = RowOf<typeof owedRow>;

/** Overdraft still owed, oldest first, with the time of the debit that owes it: what the next lots settle. */
export async function owedAllocations(run: RunSql, workspaceId: string): Promise<OwedRow[]> {
  return parseRows(owedRow, await run(
    `SELECT a.id, a."transactionId", a.credits, t."occurredAt" FROM "CreditAllocation" a JOIN "CreditTransaction" t ON t.id = a."transactionId"
     WHERE a."workspaceId" = $1::uuid AND a."lotId" IS NULL ORDER BY a.id`,
    [workspaceId],
  ));
}

/** Owed rows that lots settled: each shrinks to what is still owed, or goes when nothing is. */
export async function reduceOwed(run: RunSql, owed: { id: bigint; credits: string }[]): Promise<void> {
  if (owed.length === 0) return;
  await run(`DELETE FROM "CreditAllocation" WHERE id = ANY($1::int8[]) AND "lotId" IS NULL`, [arrayLiteral(owed.filter((o) => o.credits === "0").map((o) => o.id))]);
  const left = owed.filter((o) => o.credits !== "0");
  if (left.length === 0) return;
  await run(
    `UPDATE "CreditAllocation" a SET credits = u.credits FROM unnest($1::int8[], $2::numeric[]) AS u(id, credits) WHERE a.id = u.id`,
    [arrayLiteral(left.map((o) => o.id)), arrayLiteral(left.map((o) => o.credits))],
  );
}

/** Adds what lots settled to debits posted by earlier writes: its cost, and its draws after theirs. */
export async function addSettlements(run: RunSql, settled: { id: bigint; costUsd: string; draws: string }[]): Promise<void> {
  if (settled.length === 0) return;
  await run(
    `UPDATE "CreditTransaction" c SET "costUsd" = c."costUsd" + u.cost, "lotDraws" = concat_ws(' ', c."lotDraws", u.draws)
     FROM unnest($1::int8[], $2::numeric[], $3::text[]) AS u(id, cost, draws) WHERE c.id = u.id`,
    [arrayLiteral(settled.map((s) => s.id)), arrayLiteral(settled.map((s) => s.costUsd)), arrayLiteral(settled.map((s) => s.draws))],
  );
}

/**
 * Workspaces (or just this one) with a lot whose expiry has passed and whose EXPIRATION row is not
 * posted yet, the longest overdue first.
 */
export async function workspacesWithDueLots(run: RunSql, now: Date, limit: number, workspaceId: string | null = null): Promise<string[]> {
  const rows = parseRows({ workspaceId: col.text() }, await run(
    `SELECT l."workspaceId"::text AS "workspaceId" FROM "CreditLot" l
     WHERE ${OPEN} AND l."expiresAt" <= $1::timestamptz AND ($3::uuid IS NULL OR l."workspaceId" = $3::uuid)
     GROUP BY l."workspaceId" ORDER BY min(l."expiresAt") LIMIT $2`,
    [now.toISOString(), limit, workspaceId],
  ));
  return rows.map((row) => row.workspaceId);
}

/** Credits and cost already refunded of one debit. */
export async function refundedOf(run: RunSql, transactionId: bigint): Promise<{ credits: string; costUsd: string }> {
  const rows = parseRows({ credits: col.text(), costUsd: col.text() }, await run(
    `SELECT COALESCE(SUM("originalCredits"), 0)::text AS credits, COALESCE(SUM("originalCostUsd"), 0)::text AS "costUsd"
     FROM "CreditLot" WHERE "refundOfTransactionId" = $1::int8`,
    [transactionId.toString()],
  ));
  return rows[0]!;
}

const commitmentRow = {
  lotId: col.bigint(),
  transactionId: col.bigint(),
  credits: col.decimal(),
  costUsd: col.decimal(),
  createdAt: col.date(),
  expiresAt: col.date().nullable(),
  description: col.text(),
};
export type PurchaseCommitment = RowOf<typeof commitmentRow>;

/** How long a purchase without an expiry counts as committed for (the FOCUS validity of a purchase). */
export const PURCHASE_TERM_DAYS = 365;

/**
 * A workspace's purchase lots in id order after `afterLotId`: all of them, or those of a window
 * [from, to): whose term [bought, expiry or PURCHASE_TERM_DAYS later) overlaps it, or that rows of
 * the window drew on (an overdraft settled by a later purchase, a purchase without expiry used
 * after its term), so that every ContractApplied of a window's rows names a commitment of it.
 */
export async function purchaseCommitments(
  run: RunSql,
  workspaceId: string,
  options: { window?: { from: Date; to: Date }; afterLotId?: bigint; limit?: number } = {},
): Promise<PurchaseCommitment[]> {
  const { window, afterLotId = 0n, limit = null } = options;
  return parseRows(commitmentRow, await run(
    `SELECT l.id AS "lotId", l."transactionId", l."originalCredits" AS credits, l."originalCostUsd" AS "costUsd",
       l."createdAt", l."expiresAt", c.description
     FROM "CreditLot" l JOIN "CreditTransaction" c ON c.id = l."transactionId"
     WHERE l."workspaceId" = $1::uuid AND l.source = 'PURCHASE' AND l.id > $2::int8
       AND ($3::timestamptz IS NULL
         OR (l."createdAt" < $4::timestamptz AND COALESCE(l."expiresAt", l."createdAt" + make_interval(days => ${PURCHASE_TERM_DAYS})) > $3::timestamptz)
         OR (l."firstDrawnAt" < $4::timestamptz AND l."lastDrawnAt" >= $3::timestamptz))
     ORDER BY l.id LIMIT $5`,
    [workspaceId, afterLotId.toString(), window?.from.toISOString() ?? null, window?.to.toISOString() ?? null, limit],
  ));
}
