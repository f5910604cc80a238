// The credit ledger: append-only rows per workspace, each with the balance after it. Every write
// locks the workspace row first (SELECT … FOR UPDATE), so that concurrent writers queue and no
// update is lost; the balance on the workspace row moves in the same transaction as the rows.
import { Prisma, type CreditTransaction, type CreditTransactionType, type Workspace } from "../db/generated/client.js";
import { insertLedgerRows, lockWorkspace, setBalance, type LockedWorkspace, type Tx } from "../store/ledger.js";
import { GRAPHQL_PAGE, keysetConnection, type Connection, type ConnectionArgs } from "./connections.js";
import type { RequestContext } from "./context.js";
import { InsufficientCreditsError, ValidationError } from "./errors.js";
import { rowId } from "./rules/ids.js";
import { pageSize, type PageRule } from "./rules/pages.js";
import { rangeFilter } from "./rules/windows.js";
import { workspaceFor, type WorkspaceTarget } from "./workspaces.js";

export type { LockedWorkspace, Tx };
export const Decimal = Prisma.Decimal;
export type Decimal = Prisma.Decimal;

/** Balances are numeric(24, 6), overdraft or not: one that would not fit is refused before it is written. */
export const balanceFits = (balance: Decimal) => balance.abs().lt("1e18");

export interface CreditBalance {
  credits: Decimal;
  usdValue: Decimal;
  asOf: Date;
}

/** A workspace's balance, as kept on its row by every ledger write, read at the request's now. */
export async function creditBalance(ctx: RequestContext, target: WorkspaceTarget): Promise<CreditBalance & { workspace: Workspace }> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  return {
    workspace,
    credits: workspace.creditBalance,
    usdValue: workspace.creditBalance.mul(workspace.creditPriceUsd).toDecimalPlaces(8),
    asOf: ctx.clock.now(),
  };
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
  occurredAt: Date;
}

/** Whether a debit of `credits` fits the balance (or the workspace may go negative). */
export function canDebit(workspace: Pick<LockedWorkspace, "allowOverdraft">, balance: Decimal, credits: Decimal): boolean {
  return workspace.allowOverdraft || balance.gte(credits);
}

/**
 * Appends entries in order and moves the balance. Throws, before writing anything, if an entry
 * would take a balance negative without overdraft or past what the balance column holds.
 */
export async function appendLedger(tx: Tx, workspace: LockedWorkspace, entries: LedgerEntry[]): Promise<bigint[]> {
  if (entries.length === 0) return [];
  let balance = workspace.creditBalance;
  const rows = entries.map((entry) => {
    const next = balance.plus(entry.amount);
    if (entry.amount.isNegative() && next.isNegative() && !workspace.allowOverdraft) {
      throw new InsufficientCreditsError(balance.toFixed(), entry.amount.neg().toFixed());
    }
    if (!balanceFits(next)) throw ValidationError.single("credits", "the balance would exceed 10^18 credits");
    balance = next;
    return {
      type: entry.type,
      amount: entry.amount.toFixed(),
      balanceAfter: balance.toFixed(),
      moneyAmount: entry.moneyAmount?.toFixed() ?? null,
      description: entry.description,
      usageRecordId: entry.usageRecordId ?? null,
      executionId: entry.executionId ?? null,
      idempotencyKey: entry.idempotencyKey ?? null,
      expiresAt: entry.expiresAt ?? null,
      occurredAt: entry.occurredAt,
    };
  });
  const ids = await insertLedgerRows(tx, workspace.id, rows);
  await setBalance(tx, workspace.id, balance.toFixed());
  workspace.creditBalance = balance;
  return ids;
}

/** Runs `fn` in a transaction holding the workspace's ledger lock. */
export function withLedgerLock<T>(ctx: RequestContext, workspaceId: string, fn: (tx: Tx, workspace: LockedWorkspace) => Promise<T>): Promise<T> {
  return ctx.db.prisma.$transaction(async (tx) => fn(tx, await lockWorkspace(tx, workspaceId)), { timeout: 60_000, maxWait: 30_000 });
}

/** The REST credits routes' page: 50 by default, 1–200. */
export const RECENT_TRANSACTIONS_PAGE: PageRule = { default: 50, max: 200 };
/** The billing summary shows fewer by default. */
export const SUMMARY_TRANSACTIONS_PAGE: PageRule = { default: 10, max: 200 };

/** The newest ledger rows of a workspace (REST credits routes; GraphQL pages the same order). */
export async function recentCreditTransactions(ctx: RequestContext, target: WorkspaceTarget, limit: number | null, rule = RECENT_TRANSACTIONS_PAGE) {
  const take = pageSize(limit, rule, "limit");
  const workspace = await workspaceFor(ctx, target, "read:billing");
  const rows = await ctx.db.prisma.creditTransaction.findMany({ where: { workspaceId: workspace.id }, orderBy: { id: "desc" }, take });
  return { workspace, limit: take, rows };
}

/** The billing summary: the balance and the newest ledger rows, 10 by default. */
export async function billingSummary(ctx: RequestContext, target: WorkspaceTarget, limit: number | null) {
  const balance = await creditBalance(ctx, target);
  return { balance, recent: await recentCreditTransactions(ctx, balance.workspace, limit, SUMMARY_TRANSACTIONS_PAGE) };
}

export interface LedgerFilter {
  types?: CreditTransactionType[] | null;
  from?: Date | null;
  to?: Date | null;
  order?: "NEWEST_FIRST" | "OLDEST_FIRST" | null;
}

/** Workspace.creditTransactions: the ledger in id order, newest first by default. */
export async function creditTransactionsConnection(ctx: RequestContext, target: WorkspaceTarget, filter: LedgerFilter, args: ConnectionArgs): Promise<Connection<CreditTransaction>> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  const where: Prisma.CreditTransactionWhereInput = {
    workspaceId: workspace.id,
    ...(filter.types?.length ? { type: { in: filter.types } } : {}),
    occurredAt: rangeFilter(filter.from, filter.to),
  };
  const descending = filter.order !== "OLDEST_FIRST";
  return keysetConnection(ctx, {
    connection: "Workspace.creditTransactions",
    workspaceId: workspace.id,
    parts: 1,
    encode: (row) => [row.id.toString()],
    decode: ([id]) => rowId(id!),
    read: ({ after, before, backwards, take }) => {
      const later = (key: bigint, beyond: boolean) => ({ id: beyond !== descending ? { gt: key } : { lt: key } });
      return ctx.db.prisma.creditTransaction.findMany({
        where: { AND: [where, ...(after !== null ? [later(after, true)] : []), ...(before !== null ? [later(before, false)] : [])] },
        orderBy: { id: descending !== backwards ? "desc" : "asc" },
        take,
      });
    },
    count: () => ctx.db.prisma.creditTransaction.count({ where }),
  }, args, GRAPHQL_PAGE);
}

