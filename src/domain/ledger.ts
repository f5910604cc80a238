// The credit ledger: append-only rows per workspace, each with the balance after it. Every write
// locks the workspace row first (SELECT … FOR UPDATE), so that concurrent writers queue and no
// update is lost; the balance on the workspace row moves in the same transaction as the rows.
import type { Actor } from "../auth/actor.js";
import type { PrismaClient } from "../db/client.js";
import { Prisma, type CreditTransaction, type CreditTransactionType, type Workspace } from "../db/generated/client.js";
import { assertWorkspaceScope } from "./access.js";
import { InsufficientCreditsError } from "./errors.js";

export type Tx = Prisma.TransactionClient;
export const Decimal = Prisma.Decimal;
export type Decimal = Prisma.Decimal;

export interface CreditBalance {
  credits: Decimal;
  usdValue: Decimal;
  asOf: Date;
}

/** The balance kept on the workspace row, which every ledger write updates in its transaction. */
export function creditBalanceOf(workspace: Pick<Workspace, "creditBalance" | "creditPriceUsd">, asOf = new Date()): CreditBalance {
  return {
    credits: workspace.creditBalance,
    usdValue: workspace.creditBalance.mul(workspace.creditPriceUsd).toDecimalPlaces(8),
    asOf,
  };
}

export interface LockedWorkspace {
  id: string;
  creditBalance: Decimal;
  allowOverdraft: boolean;
  creditPriceUsd: Decimal;
  monthlyLimitUsd: Decimal;
  timeZone: string;
}

/** Locks the workspace row for the rest of the transaction and reads its balance. */
export async function lockWorkspace(tx: Tx, workspaceId: string): Promise<LockedWorkspace> {
  const rows = await tx.$queryRaw<LockedWorkspace[]>`
    SELECT id, "creditBalance", "allowOverdraft", "creditPriceUsd", "monthlyLimitUsd", "timeZone"
    FROM "Workspace" WHERE id = ${workspaceId}::uuid FOR UPDATE`;
  if (!rows[0]) throw new Error(`workspace ${workspaceId} vanished during a ledger write`);
  return rows[0];
}

export interface LedgerEntry {
  type: CreditTransactionType;
  /** Signed credits: positive adds to the balance. */
  amount: Decimal;
  description: string;
  moneyAmount?: Decimal | null;
  usageRecordId?: bigint | null;
  executionId?: bigint | null;
  idempotencyKey?: string | null;
  expiresAt?: Date | null;
  occurredAt?: Date;
}

/** Whether a debit of `credits` fits the balance (or the workspace may go negative). */
export function canDebit(workspace: LockedWorkspace, balance: Decimal, credits: Decimal): boolean {
  return workspace.allowOverdraft || balance.gte(credits);
}

/**
 * Appends entries in order and moves the balance. Throws InsufficientCreditsError, before writing
 * anything, if an entry would take a balance negative without overdraft.
 */
export async function appendLedger(tx: Tx, workspace: LockedWorkspace, entries: LedgerEntry[]): Promise<bigint[]> {
  if (entries.length === 0) return [];
  let balance = workspace.creditBalance;
  const balances: string[] = [];
  for (const entry of entries) {
    const next = balance.plus(entry.amount);
    if (entry.amount.isNegative() && next.isNegative() && !workspace.allowOverdraft) {
      throw new InsufficientCreditsError(balance.toFixed(), entry.amount.neg().toFixed());
    }
    balance = next;
    balances.push(balance.toFixed());
  }
  const now = new Date().toISOString();
  const column = <T>(pick: (entry: LedgerEntry) => T) => entries.map(pick);
  // ORDER BY the input position so that ids, and with them the ledger order, follow the entries.
  const rows = await tx.$queryRawUnsafe<{ id: bigint }[]>(
    `INSERT INTO "CreditTransaction" ("workspaceId", "type", "amount", "balanceAfter", "moneyAmount", "moneyCurrency",
       "description", "usageRecordId", "executionId", "idempotencyKey", "expiresAt", "occurredAt")
     SELECT $1::uuid, t::"CreditTransactionType", a, b, m, CASE WHEN m IS NULL THEN NULL ELSE 'USD' END, d, u, e, k, x, o
     FROM unnest($2::text[], $3::numeric[], $4::numeric[], $5::numeric[], $6::text[], $7::bigint[], $8::bigint[],
                 $9::text[], $10::timestamptz[], $11::timestamptz[]) WITH ORDINALITY AS r(t, a, b, m, d, u, e, k, x, o, n)
     ORDER BY n
     RETURNING id`,
    workspace.id,
    column((e) => e.type),
    column((e) => e.amount.toFixed()),
    balances,
    column((e) => e.moneyAmount?.toFixed() ?? null),
    column((e) => e.description),
    column((e) => e.usageRecordId?.toString() ?? null),
    column((e) => e.executionId?.toString() ?? null),
    column((e) => e.idempotencyKey ?? null),
    column((e) => e.expiresAt?.toISOString() ?? null),
    column((e) => e.occurredAt?.toISOString() ?? now),
  );
  await tx.$executeRaw`UPDATE "Workspace" SET "creditBalance" = ${balance.toFixed()}::numeric WHERE id = ${workspace.id}::uuid`;
  workspace.creditBalance = balance;
  return rows.map((row) => row.id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Runs `fn` in a transaction holding the workspace's ledger lock. */
export function withLedgerLock<T>(
  prisma: { $transaction<R>(fn: (tx: Tx) => Promise<R>, options?: { timeout?: number; maxWait?: number }): Promise<R> },
  workspaceId: string,
  fn: (tx: Tx, workspace: LockedWorkspace) => Promise<T>,
): Promise<T> {
  return prisma.$transaction(async (tx) => fn(tx, await lockWorkspace(tx, workspaceId)), { timeout: 60_000, maxWait: 30_000 });
}

/** The newest ledger rows of a workspace (REST credits routes; GraphQL pages the same order). */
export function recentCreditTransactions(prisma: PrismaClient, actor: Actor, workspaceId: string, limit: number): Promise<CreditTransaction[]> {
  assertWorkspaceScope(actor, workspaceId, "read:billing");
  return prisma.creditTransaction.findMany({ where: { workspaceId }, orderBy: { id: "desc" }, take: limit });
}
