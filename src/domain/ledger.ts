// The credit ledger: append-only rows per workspace, each with the balance after it. Every write
// locks the workspace row first (SELECT … FOR NO KEY UPDATE), so that concurrent writers queue and no
// update is lost; the balance on the workspace row, the lots and their allocations move in the same
// transaction as the rows. Each write first posts the expirations that are due.
import { errorText } from "../config/logger.js";
import { Prisma, type CreditLot, type CreditTransactionType, type Workspace } from "../db/generated/client.js";
import {
  addSettlements, balanceWithOpenLots, insertAllocations, insertLots, openLots, owedAllocations, reduceOwed, updateLotRemainders, workspacesWithDueLots,
} from "../store/credit-lots.js";
import { allocateIds } from "../store/bulk-insert.js";
import { insertLedgerRows, ledgerPage, lockWorkspace, setBalance, type LedgerColumn, type LedgerPageRow, type LockedWorkspace } from "../store/ledger.js";
import { directSql, prismaSql, together, type RunSql } from "../store/rows.js";
import { GRAPHQL_PAGE, keyBounds, keysetConnection, type Connection, type ConnectionArgs } from "./connections.js";
import type { RequestContext } from "./context.js";
import { balanceAt, expirationKey, LotBook, newLotRow, type LotBalance, type LotEntry, type LotState, type TxRef } from "./credit-lots.js";
import { ForbiddenError, InsufficientCreditsError, ValidationError } from "./errors.js";
import { rowId } from "./rules/ids.js";
import { pageSize, type PageRule } from "./rules/pages.js";
import { rangeFilter } from "./rules/windows.js";
import { workspaceFor, type WorkspaceTarget } from "./workspaces.js";
import { LEDGER_WRITES_PER_WORKSPACE } from "./write-queue.js";

/** A statement runner inside the ledger's transaction. */
export type Tx = RunSql;
export const Decimal = Prisma.Decimal;
export type Decimal = Prisma.Decimal;

/** A workspace locked for a ledger write, with its open lots. */
export type LedgerLock = LockedWorkspace & { book: LotBook };

const BALANCE_LIMIT = new Decimal("1e18");
const NEGATIVE_BALANCE_LIMIT = BALANCE_LIMIT.neg();

/** Balances are numeric(24, 6), overdraft or not: one that would not fit is refused before it is written. */
export const balanceFits = (balance: Decimal) => balance.lt(BALANCE_LIMIT) && balance.gt(NEGATIVE_BALANCE_LIMIT);

export interface CreditBalance extends LotBalance {
  usdValue: Decimal;
  asOf: Date;
}

/**
 * A workspace's balance at the request's now: the balance every ledger write keeps on its row, less
 * the credits of lots that have expired since, whether or not their EXPIRATION rows are posted yet.
 */
export async function creditBalance(ctx: RequestContext, target: WorkspaceTarget): Promise<CreditBalance & { workspace: Workspace }> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  return { workspace, ...(await balanceOf(ctx, workspace)) };
}

/** The balance of a workspace the caller has already been let into (a write answers with it). */
export async function balanceOf(ctx: RequestContext, workspace: Pick<Workspace, "id" | "creditPriceUsd">): Promise<CreditBalance> {
  const { stored, lots } = await balanceWithOpenLots(directSql(ctx.db, { plan: "generic" }), workspace.id);
  const now = ctx.clock.now();
  const balance = balanceAt(new Decimal(stored), lots, now);
  return { ...balance, usdValue: balance.credits.mul(workspace.creditPriceUsd).toDecimalPlaces(8), asOf: now };
}

export interface LedgerEntry extends LotEntry {
  type: CreditTransactionType;
  description: string;
  moneyAmount?: Decimal | null;
  usageRecordId?: bigint | null;
  executionId?: bigint | null;
  idempotencyKey?: string | null;
}

/** Whether a debit of `credits` fits the balance (or the workspace may go negative). */
export function canDebit(workspace: Pick<LockedWorkspace, "allowOverdraft">, balance: Decimal, credits: Decimal): boolean {
  return workspace.allowOverdraft || balance.gte(credits);
}

/**
 * Appends entries in order, moves the balance and draws the lots down. Throws, before writing
 * anything, if an entry would take a balance negative without overdraft or past what the balance
 * column holds.
 */
export async function appendLedger(run: Tx, workspace: LedgerLock, entries: LedgerEntry[]): Promise<bigint[]> {
  if (entries.length === 0) return [];
  let balance = workspace.creditBalance;
  const balances = entries.map((entry) => {
    const next = balance.plus(entry.amount);
    if (entry.amount.isNegative() && next.isNegative() && !workspace.allowOverdraft) {
      throw new InsufficientCreditsError(balance.toFixed(), entry.amount.neg().toFixed());
    }
    if (!balanceFits(next)) throw ValidationError.single("credits", "the balance would exceed 10^18 credits");
    balance = next;
    return balance;
  });
  const adding = entries.filter((entry) => entry.amount.isPositive()).length;
  // Overdraft is owed only while the balance is negative, and only lots settle it.
  const owed = adding > 0 && workspace.creditBalance.isNegative()
    ? (await owedAllocations(run, workspace.id)).map((row) => ({ id: row.id, transaction: { id: row.transactionId }, credits: row.credits, occurredAt: row.occurredAt }))
    : [];
  const plan = workspace.book.plan(entries, adding > 0 ? await allocateIds(run, "CreditLot", adding) : [], owed);

  const ids = await insertLedgerRows(run, workspace.id, entries.map((entry, i) => ({
    type: entry.type,
    amount: entry.amount.toFixed(),
    balanceAfter: balances[i]!.toFixed(),
    moneyAmount: entry.moneyAmount?.toFixed() ?? null,
    description: entry.description,
    usageRecordId: entry.usageRecordId ?? null,
    executionId: entry.executionId ?? null,
    idempotencyKey: entry.idempotencyKey ?? null,
    expiresAt: entry.expiresAt ?? null,
    occurredAt: entry.occurredAt,
    costUsd: plan.costs[i]!.toFixed(),
    lotDraws: plan.draws[i]!,
  })));
  const idOf = (ref: TxRef) => ("entry" in ref ? ids[ref.entry]! : ref.id);
  // Asked for together, sent together (Database.transaction): one round trip under the lock, not one each.
  await together([
    insertLots(run, workspace.id, plan.newLots.map((lot) => newLotRow(lot, ids[lot.entry]!))),
    updateLotRemainders(run, plan.touched.map((lot) => ({
      id: lot.id, remainingCredits: lot.remainingCredits.toFixed(), remainingCostUsd: lot.remainingCostUsd.toFixed(),
      expirationTransactionId: lot.expiredBy === undefined ? null : ids[lot.expiredBy]!, firstDrawnAt: lot.firstDrawnAt, lastDrawnAt: lot.lastDrawnAt,
    }))),
    insertAllocations(run, workspace.id, plan.allocations.map((a) => ({ transactionId: idOf(a.transaction), lotId: a.lotId, credits: a.credits.toFixed(), costUsd: a.costUsd.toFixed() }))),
    reduceOwed(run, plan.settled.map((debt) => ({ id: debt.id!, credits: debt.credits.toFixed() }))),
    addSettlements(run, [...plan.earlier].map(([id, { costUsd, draws }]) => ({ id, costUsd: costUsd.toFixed(), draws }))),
    setBalance(run, workspace.id, balance.toFixed()),
  ]);
  workspace.creditBalance = balance;
  return ids;
}

/**
 * Runs `fn` in a transaction holding the workspace's ledger lock, after `prepare` if given (in the
 * same transaction, before the lock: work that needs no balance, such as inserting a batch's usage
 * rows, which then overlaps another write's time under the lock). Writes to one workspace queue in
 * the process first, holding no connection; one runs at a time, and one with something to prepare
 * may also run beside it. Then they wait for a pool connection and for the lock within what is
 * left of WRITE_MAX_WAIT_MS: past it, the write is refused with 503 OVERLOADED, having written nothing.
 */
function ledgerTransaction<P, T>(
  ctx: RequestContext,
  workspaceId: string,
  fn: (run: Tx, workspace: LedgerLock, prepared: P | undefined) => Promise<T>,
  prepare?: (run: Tx) => Promise<P>,
): Promise<T> {
  const { connectionMs, lockMs } = ctx.settings.ledgerWaits;
  const write = (remainingMs: number) => {
    // The queue, the pool and other transactions' locks share one budget (WRITE_MAX_WAIT_MS).
    const deadline = performance.now() + remainingMs;
    // At least 1 ms: 0 would mean no limit. Without a wait the lock is taken however small it is.
    const waitWithinBudget = (run: Tx) => run(`SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(deadline - performance.now()))}`, []);
    return ctx.db.transaction(async (run) => {
      let prepared: P | undefined;
      if (prepare) {
        // Its row locks (a parent check's, a key another write is inserting) wait within the budget too.
        await waitWithinBudget(run);
        prepared = await prepare(run);
      }
      // One round trip: the lock, then (once it is held) the lock wait for later statements and the open lots.
      const [, locked, , lots] = await together([
        waitWithinBudget(run),
        lockWorkspace(run, workspaceId),
        run(`SET LOCAL lock_timeout = ${Math.trunc(lockMs)}`, []),
        openLots(run, workspaceId),
      ]);
      return fn(run, { ...locked, book: new LotBook(lots) }, prepared);
    }, { maxWaitMs: Math.min(connectionMs, remainingMs) });
  };
  return ctx.settings.ledgerWrites.run(workspaceId, write, prepare ? LEDGER_WRITES_PER_WORKSPACE : 1);
}

/**
 * Runs `fn` holding the workspace's ledger lock, after posting the EXPIRATION rows that are due at
 * the request's now: so every write sees only credits that still pay. `prepare`, if given, runs
 * first, in the same transaction but before the lock (ledgerTransaction).
 */
export async function withLedgerLock<T, P = never>(
  ctx: RequestContext,
  workspaceId: string,
  fn: (run: Tx, workspace: LedgerLock, prepared: P | undefined) => Promise<T>,
  prepare?: (run: Tx) => Promise<P>,
): Promise<T> {
  let expired = 0;
  const result = await ledgerTransaction(ctx, workspaceId, async (run, workspace, prepared) => {
    expired = await postExpirations(ctx, run, workspace);
    return fn(run, workspace, prepared);
  }, prepare);
  ctx.settings.meter.creditExpirations(expired); // once committed
  ctx.settings.events.publish({ kind: "balance", workspaceId });
  return result;
}

/** Posts a workspace's due expirations, if any; returns how many (the expiry job, FOCUS exports). */
export async function settleExpirations(ctx: RequestContext, workspaceId: string): Promise<number> {
  const posted = await ledgerTransaction(ctx, workspaceId, (run, workspace) => postExpirations(ctx, run, workspace));
  ctx.settings.meter.creditExpirations(posted);
  if (posted > 0) ctx.settings.events.publish({ kind: "balance", workspaceId });
  return posted;
}

/**
 * One pass of the expiry job: every workspace with lots past their expiry gets their EXPIRATION
 * rows. Processes may run it at once: each workspace is settled under its ledger lock, and the
 * expiration's unique key backs that up. Returns how many rows were posted.
 */
export async function expireDueLots(ctx: RequestContext, batch = 100): Promise<number> {
  if (!ctx.access.isOperator) throw new ForbiddenError("operator");
  let posted = 0;
  for (;;) {
    const due = await workspacesWithDueLots(prismaSql(ctx.db.prisma), ctx.clock.now(), batch);
    let pass = 0;
    for (const workspaceId of due) {
      try {
        pass += await settleExpirations(ctx, workspaceId);
      } catch (error) {
        // One workspace that cannot be settled now (its lock held past the wait, a fault) must not hold up the others.
        ctx.logger.warn({ workspaceId, err: errorText(error) }, "credit expiry of a workspace failed; the next pass retries");
      }
    }
    posted += pass;
    // Another process may have settled them first; a pass that posts nothing ends the run.
    if (due.length < batch || pass === 0) return posted;
  }
}

/** One EXPIRATION row per lot whose expiry has passed, dated at that expiry; returns how many. */
async function postExpirations(ctx: RequestContext, run: Tx, workspace: LedgerLock): Promise<number> {
  const due = workspace.book.due(ctx.clock.now());
  await appendLedger(run, workspace, due.map((lot) => ({
    type: "EXPIRATION" as const,
    amount: lot.remainingCredits.neg(),
    description: `Unused credits of lot ${lot.id} expired`,
    // A unique key as well as the lock: an expiration can never be posted twice.
    idempotencyKey: expirationKey(lot.id),
    occurredAt: lot.expiresAt!,
    expiresLot: lot.id,
  })));
  return due.length;
}

/** The REST credits routes' page: 50 by default, 1–200. */
export const RECENT_TRANSACTIONS_PAGE: PageRule = { default: 50, max: 200 };
/** The billing summary shows fewer by default. */
export const SUMMARY_TRANSACTIONS_PAGE: PageRule = { default: 10, max: 200 };

/** The newest ledger rows of a workspace (REST credits routes; GraphQL pages the same order). */
export async function recentCreditTransactions(ctx: RequestContext, target: WorkspaceTarget, limit: number | null, rule = RECENT_TRANSACTIONS_PAGE) {
  const take = pageSize(limit, rule, "limit");
  const workspace = await workspaceFor(ctx, target, "read:billing");
  const rows = await ledgerPage(directSql(ctx.db, { plan: "generic" }), { workspaceId: workspace.id, descending: true, take });
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
export async function creditTransactionsConnection<K extends LedgerColumn = LedgerColumn>(
  ctx: RequestContext, target: WorkspaceTarget, filter: LedgerFilter, args: ConnectionArgs, columns?: readonly K[],
): Promise<Connection<LedgerPageRow<K>>> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  const filters: Prisma.CreditTransactionWhereInput = {
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
    // A window is planned for its width: a generic plan, which PostgreSQL adopted after five pages,
    // read a year's window along the time index and sorted it (650 ms a page of 50 on the bench's
    // 1,000,000 rows) where walking the ledger's order takes 0.3 ms; a narrow old window is the reverse.
    read: (range) => ledgerPage(directSql(ctx.db, { plan: filter.from || filter.to ? "custom" : "generic" }), {
      workspaceId: workspace.id, types: filter.types, from: filter.from, to: filter.to,
      ...keyBounds(range, descending), descending: descending !== range.backwards, take: range.take,
    }, columns),
    count: () => ctx.db.prisma.creditTransaction.count({ where: { workspaceId: workspace.id, ...filters } }),
  }, args, GRAPHQL_PAGE);
}


export type { LedgerColumn, LotState };

/** Which lots are in each state at `now` (lotState's rule as a filter). */
function lotStateFilter(state: LotState, now: Date): Prisma.CreditLotWhereInput {
  switch (state) {
    case "ACTIVE":
      return { remainingCredits: { gt: 0 }, expirationTransactionId: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] };
    case "EXHAUSTED":
      return { remainingCredits: 0, expirationTransactionId: null };
    case "EXPIRED":
      return { OR: [{ expirationTransactionId: { not: null } }, { remainingCredits: { gt: 0 }, expiresAt: { lte: now } }] };
  }
}

/** Lots of a workspace by id, for callers that may read billing (none for others): those its allocations name. */
export async function creditLotsIn(ctx: RequestContext, workspaceId: string, ids: readonly bigint[]): Promise<Map<bigint, CreditLot>> {
  if (!ctx.access.has(workspaceId, "read:billing")) return new Map();
  const rows = await ctx.db.prisma.creditLot.findMany({ where: { workspaceId, id: { in: [...ids] } } });
  return new Map(rows.map((row) => [row.id, row]));
}

/** Workspace.creditLots: newest first, optionally only some states at the request's now. */
export async function creditLotsConnection(ctx: RequestContext, target: WorkspaceTarget, filter: { states?: LotState[] | null }, args: ConnectionArgs): Promise<Connection<CreditLot>> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  const now = ctx.clock.now();
  const where: Prisma.CreditLotWhereInput = {
    workspaceId: workspace.id,
    ...(filter.states?.length ? { OR: [...new Set(filter.states)].map((state) => lotStateFilter(state, now)) } : {}),
  };
  return keysetConnection(ctx, {
    connection: "Workspace.creditLots",
    workspaceId: workspace.id,
    parts: 1,
    encode: (lot) => [lot.id.toString()],
    decode: ([id]) => rowId(id!),
    read: ({ after, before, backwards, take }) =>
      ctx.db.prisma.creditLot.findMany({
        where: { AND: [where, ...(after !== null ? [{ id: { lt: after } }] : []), ...(before !== null ? [{ id: { gt: before } }] : [])] },
        orderBy: { id: backwards ? "asc" : "desc" },
        take,
      }),
    count: () => ctx.db.prisma.creditLot.count({ where }),
  }, args, GRAPHQL_PAGE);
}
