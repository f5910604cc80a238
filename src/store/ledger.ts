// SQL of the credit ledger family: the workspace row's balance and lock, and ledger rows.
import { z } from "zod";
import type { CreditTransactionType, Prisma } from "../db/generated/client.js";
import { ascendingIds, insertRows, type ColumnSpec } from "./bulk-insert.js";
import { col, parseRows, prismaSql } from "./rows.js";

export type Tx = Prisma.TransactionClient;

const lockedWorkspace = z.object({
  id: col.text(),
  creditBalance: col.decimal(),
  allowOverdraft: col.bool(),
  creditPriceUsd: col.decimal(),
  monthlyLimitUsd: col.decimal(),
  timeZone: col.text(),
});
export type LockedWorkspace = z.output<typeof lockedWorkspace>;

/** Locks the workspace row for the rest of the transaction and reads its balance. */
export async function lockWorkspace(tx: Tx, workspaceId: string): Promise<LockedWorkspace> {
  const rows = parseRows(lockedWorkspace, await tx.$queryRaw`
    SELECT id, "creditBalance", "allowOverdraft", "creditPriceUsd", "monthlyLimitUsd", "timeZone"
    FROM "Workspace" WHERE id = ${workspaceId}::uuid FOR UPDATE`);
  if (!rows[0]) throw new Error(`workspace ${workspaceId} vanished during a ledger write`);
  return rows[0];
}

export interface LedgerRow {
  type: CreditTransactionType;
  amount: string;
  balanceAfter: string;
  moneyAmount: string | null;
  description: string;
  usageRecordId: bigint | null;
  executionId: bigint | null;
  idempotencyKey: string | null;
  expiresAt: Date | null;
  occurredAt: Date;
  costUsd: string;
}

/** The columns a new ledger row fills, in order (the seeds insert these too, after id and workspaceId). */
export const LEDGER_COLUMNS: ColumnSpec[] = [
  { name: "type", type: '"CreditTransactionType"' },
  { name: "amount", type: "numeric" },
  { name: "balanceAfter", type: "numeric" },
  { name: "moneyAmount", type: "numeric" },
  { name: "moneyCurrency", type: "text" },
  { name: "description", type: "text" },
  { name: "usageRecordId", type: "int8" },
  { name: "executionId", type: "int8" },
  { name: "idempotencyKey", type: "text" },
  { name: "expiresAt", type: "timestamptz" },
  { name: "occurredAt", type: "timestamptz" },
  { name: "costUsd", type: "numeric" },
];

/** Appends rows in order; their ids ascend with the input. */
export async function insertLedgerRows(tx: Tx, workspaceId: string, rows: LedgerRow[]): Promise<bigint[]> {
  const values = rows.map((r) => [
    r.type, r.amount, r.balanceAfter, r.moneyAmount, r.moneyAmount === null ? null : "USD", r.description,
    r.usageRecordId?.toString() ?? null, r.executionId?.toString() ?? null, r.idempotencyKey, r.expiresAt?.toISOString() ?? null,
    r.occurredAt.toISOString(), r.costUsd,
  ]);
  const inserted = await insertRows(prismaSql(tx), "CreditTransaction", LEDGER_COLUMNS, values, {
    constants: [{ name: "workspaceId", type: "uuid", value: workspaceId }],
    returning: "id",
  });
  return ascendingIds(inserted);
}

export async function setBalance(tx: Tx, workspaceId: string, balance: string): Promise<void> {
  await tx.$executeRaw`UPDATE "Workspace" SET "creditBalance" = ${balance}::numeric WHERE id = ${workspaceId}::uuid`;
}
