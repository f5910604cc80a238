// Credit lots: the rules of which credits pay, written once and kept pure, so that the ledger, the
// demo seed and the tests draw down the same way. Every row that adds credits makes a lot; every
// debit takes from the lots in draw order and records what it took and what that had cost.
import { Prisma } from "../db/generated/client.js";
import type { NewLotRow, OpenLotRow } from "../store/credit-lots.js";
import { mulDiv } from "./rules/numbers.js";

const Decimal = Prisma.Decimal;
type Decimal = Prisma.Decimal;
/** Decimals are immutable: one zero serves every plan (a batch of 1,000 debits made 1,000 of them). */
const ZERO = new Decimal(0);

export const LOT_PRIORITY = { min: 1, max: 100, default: 50 } as const;

/** Idempotency keys of the gateway's own ledger rows start so; clients' keys may not (credits.ts). */
export const SYSTEM_KEY_PREFIX = "gateway:";
/** The key of a lot's EXPIRATION row: with the ledger lock, what makes it post once. */
export const expirationKey = (lotId: bigint) => `${SYSTEM_KEY_PREFIX}expiration:lot-${lotId}`;

export type LotState = "ACTIVE" | "EXHAUSTED" | "EXPIRED";
export type LotSource = "GRANT" | "PURCHASE" | "REFUND" | "ADJUSTMENT";

/** A lot that still holds credits, as the draw-down sees it; `paid` when its credits cost money. */
export interface OpenLot extends OpenLotRow {
  /** Set when this write posts the lot's EXPIRATION row: the index of that entry. */
  expiredBy?: number;
}

/** Lower priority number first, then soonest expiry (none last), then oldest. */
export function drawOrder(a: OpenLot, b: OpenLot): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const ax = a.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const bx = b.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (ax !== bx) return ax - bx;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** From its expiry on, a lot's credits no longer count and no longer pay. */
export const hasLapsed = (lot: { expiresAt: Date | null }, now: Date) => lot.expiresAt !== null && lot.expiresAt.getTime() <= now.getTime();

/**
 * What taking `take` credits from a lot costs: its remaining cost in proportion, rounded to 8 places,
 * and all of it when the take empties the lot, so that a lot's takes add up to its cost exactly.
 */
export function costOfTake(lot: Pick<OpenLot, "remainingCredits" | "remainingCostUsd">, take: Decimal): Decimal {
  return take.eq(lot.remainingCredits) || lot.remainingCostUsd.isZero() ? lot.remainingCostUsd : mulDiv(lot.remainingCostUsd, take, lot.remainingCredits, 8);
}

/** A lot's state at `now`: an expired lot keeps its stored remainder until its EXPIRATION row takes it. */
export function lotState(lot: { remainingCredits: Decimal; expiresAt: Date | null; expirationTransactionId: bigint | null }, now: Date): LotState {
  if (lot.expirationTransactionId !== null) return "EXPIRED";
  if (lot.remainingCredits.isZero()) return "EXHAUSTED";
  return hasLapsed(lot, now) ? "EXPIRED" : "ACTIVE";
}

/** Credits a lot can still give at `now`: 0 once expired. */
export const usableCredits = (lot: Parameters<typeof lotState>[0], now: Date) => (lotState(lot, now) === "ACTIVE" ? lot.remainingCredits : new Decimal(0));

export interface LotBalance {
  /** The stored balance less the remainders of lots expired but not yet posted. */
  credits: Decimal;
  /** Active credits that were bought (or refunded from bought ones). */
  paidCredits: Decimal;
  /** Active credits that cost nothing: grants, goodwill, refunds of free credits. */
  freeCredits: Decimal;
  /** The soonest expiry among active lots, and the credits that expire then. */
  nextExpiry: { at: Date; credits: Decimal } | null;
}

/** The balance at `now` from the stored balance and the open lots (credits = paid + free − owed). */
export function balanceAt(stored: Decimal, lots: OpenLotRow[], now: Date): LotBalance {
  let lapsed = new Decimal(0);
  let paidCredits = new Decimal(0);
  let freeCredits = new Decimal(0);
  let nextExpiry: LotBalance["nextExpiry"] = null;
  for (const lot of lots) {
    if (hasLapsed(lot, now)) {
      lapsed = lapsed.plus(lot.remainingCredits);
      continue;
    }
    if (lot.paid) paidCredits = paidCredits.plus(lot.remainingCredits);
    else freeCredits = freeCredits.plus(lot.remainingCredits);
    if (lot.expiresAt) {
      if (!nextExpiry || lot.expiresAt < nextExpiry.at) nextExpiry = { at: lot.expiresAt, credits: lot.remainingCredits };
      else if (lot.expiresAt.getTime() === nextExpiry.at.getTime()) nextExpiry.credits = nextExpiry.credits.plus(lot.remainingCredits);
    }
  }
  return { credits: stored.minus(lapsed), paidCredits, freeCredits, nextExpiry };
}

// ---- planning one ledger write -------------------------------------------------------------------

/** What the lots need to know of a ledger entry. */
export interface LotEntry {
  type: string;
  /** Signed credits: positive adds a lot, negative draws one down. */
  amount: Decimal;
  occurredAt: Date;
  expiresAt?: Date | null;
  /** For entries that add credits. */
  lot?: { source: LotSource; priority: number; costUsd: Decimal; refundOf?: bigint | null };
  /** For EXPIRATION entries: the lot whose whole remainder they take. */
  expiresLot?: bigint;
}

/** A ledger row, by its index in this write or by the id an earlier write gave it. */
export type TxRef = { entry: number } | { id: bigint };

export interface PlannedAllocation {
  transaction: TxRef;
  lotId: bigint | null;
  credits: Decimal;
  costUsd: Decimal;
}

export interface PlannedLot extends OpenLot {
  entry: number;
  source: LotSource;
  originalCredits: Decimal;
  originalCostUsd: Decimal;
  refundOf: bigint | null;
  createdAt: Date;
}

/** Overdraft owed by a debit; `id` when an earlier write stored it. */
export interface Owed {
  id: bigint | null;
  transaction: TxRef;
  credits: Decimal;
  /** When the debit happened. */
  occurredAt: Date;
  /** The allocation row planned for owed credits of this write. */
  planned?: PlannedAllocation;
}

export interface LotPlan {
  /** Per entry: the costUsd of its ledger row. */
  costs: Decimal[];
  /** Per entry: what it drew from lots, as its ledger row's lotDraws; null when it drew from none. */
  draws: (string | null)[];
  newLots: PlannedLot[];
  allocations: PlannedAllocation[];
  /** Lots of earlier writes whose remainder (or expiration) changed. */
  touched: OpenLot[];
  /** Owed rows of earlier writes that were settled, with what is still owed. */
  settled: Owed[];
  /** Debits of earlier writes whose overdraft lots settled: the cost and the draws to add to each. */
  earlier: Map<bigint, { costUsd: Decimal; draws: string }>;
}

/** One draw in a ledger row's lotDraws: "lot:credits:costUsd", decimals as exact text. */
const drawText = (lotId: bigint, credits: Decimal, costUsd: Decimal) => `${lotId}:${credits.toFixed()}:${costUsd.toFixed()}`;

/** A row's lotDraws read back: [lot id, credits, costUsd] as text, in draw order. */
export const readLotDraws = (lotDraws: string) => lotDraws.split(" ").map((draw) => draw.split(":") as [lotId: string, credits: string, costUsd: string]);

/** A row's lotDraws with one more draw after those it has. */
const withDraw = (draws: string | null, draw: string) => (draws === null ? draw : `${draws} ${draw}`);

/** A planned lot as the store inserts it, once its ledger row has an id. */
export function newLotRow(lot: PlannedLot, transactionId: bigint): NewLotRow {
  return {
    id: lot.id, source: lot.source, transactionId, priority: lot.priority,
    originalCredits: lot.originalCredits.toFixed(), remainingCredits: lot.remainingCredits.toFixed(),
    originalCostUsd: lot.originalCostUsd.toFixed(), remainingCostUsd: lot.remainingCostUsd.toFixed(),
    expiresAt: lot.expiresAt, refundOfTransactionId: lot.refundOf, firstDrawnAt: lot.firstDrawnAt, lastDrawnAt: lot.lastDrawnAt, createdAt: lot.createdAt,
  };
}

const isEntry = (ref: TxRef): ref is { entry: number } => "entry" in ref;

/**
 * The open lots of one workspace during one locked write. Plans mutate the lots in memory; the
 * ledger writes the plan in the same transaction, so a failed write discards the book with it.
 */
export class LotBook {
  private lots: OpenLot[];

  constructor(lots: OpenLotRow[]) {
    this.lots = lots.map((lot) => ({ ...lot })).sort(drawOrder);
  }

  /** Lots whose expiry has passed with credits left: their EXPIRATION rows are due. */
  due(now: Date): OpenLot[] {
    return this.lots.filter((lot) => hasLapsed(lot, now));
  }

  /**
   * Plans entries in order: credits make lots that first settle what is owed (oldest first);
   * expirations take their lot's remainder; debits take from lots in draw order, and what the lots
   * cannot give is owed. `newLotIds` has one id per entry that adds credits; `owed` is what earlier
   * writes still owe (needed only when the balance is negative).
   */
  plan(entries: LotEntry[], newLotIds: bigint[], owed: Owed[]): LotPlan {
    const plan: LotPlan = { costs: entries.map(() => ZERO), draws: entries.map(() => null), newLots: [], allocations: [], touched: [], settled: [], earlier: new Map() };
    const touched = new Set<OpenLot>();
    const created = new Set<OpenLot>(); // written whole by the insert, not as a change
    const ids = [...newLotIds];
    const queue = [...owed];
    const take = (lot: OpenLot, credits: Decimal, transaction: TxRef, at: Date) => {
      const costUsd = costOfTake(lot, credits);
      lot.remainingCredits = lot.remainingCredits.minus(credits);
      if (!costUsd.isZero()) lot.remainingCostUsd = lot.remainingCostUsd.minus(costUsd);
      if (!lot.firstDrawnAt || at < lot.firstDrawnAt) lot.firstDrawnAt = at;
      if (!lot.lastDrawnAt || at > lot.lastDrawnAt) lot.lastDrawnAt = at;
      if (!created.has(lot)) touched.add(lot);
      plan.allocations.push({ transaction, lotId: lot.id, credits, costUsd });
      const draw = drawText(lot.id, credits, costUsd);
      if (isEntry(transaction)) {
        const cost = plan.costs[transaction.entry]!;
        plan.costs[transaction.entry] = cost.isZero() ? costUsd : cost.plus(costUsd);
        plan.draws[transaction.entry] = withDraw(plan.draws[transaction.entry]!, draw);
      } else {
        const earlier = plan.earlier.get(transaction.id);
        plan.earlier.set(transaction.id, earlier ? { costUsd: earlier.costUsd.plus(costUsd), draws: withDraw(earlier.draws, draw) } : { costUsd, draws: draw });
      }
    };

    entries.forEach((entry, index) => {
      const self = { entry: index };
      if (entry.amount.isPositive()) {
        if (!entry.lot) throw new Error(`entry ${index} adds credits without lot terms`);
        const id = ids.shift();
        if (id === undefined) throw new Error("fewer lot ids than entries that add credits");
        const lot: PlannedLot = {
          id, entry: index, source: entry.lot.source, priority: entry.lot.priority, expiresAt: entry.expiresAt ?? null,
          originalCredits: entry.amount, remainingCredits: entry.amount, originalCostUsd: entry.lot.costUsd, remainingCostUsd: entry.lot.costUsd,
          paid: entry.lot.costUsd.gt(0), refundOf: entry.lot.refundOf ?? null, createdAt: entry.occurredAt, firstDrawnAt: null, lastDrawnAt: null,
        };
        created.add(lot);
        if (entry.type === "REFUND") plan.costs[index] = entry.lot.costUsd.neg();
        while (queue.length && lot.remainingCredits.gt(0)) {
          const debt = queue[0]!;
          const paid = debt.credits.lte(lot.remainingCredits) ? debt.credits : lot.remainingCredits;
          take(lot, paid, debt.transaction, debt.occurredAt);
          debt.credits = debt.credits.minus(paid);
          if (debt.planned) debt.planned.credits = debt.credits;
          else if (!plan.settled.includes(debt)) plan.settled.push(debt);
          if (debt.credits.isZero()) queue.shift();
        }
        plan.newLots.push(lot);
        if (lot.remainingCredits.gt(0)) this.insert(lot);
        return;
      }
      if (entry.amount.isZero()) return;
      let need = entry.amount.neg();
      if (entry.expiresLot !== undefined) {
        const lot = this.lots.find((l) => l.id === entry.expiresLot);
        if (!lot || !lot.remainingCredits.eq(need)) throw new Error(`expiration of lot ${entry.expiresLot} does not match its remainder`);
        take(lot, need, self, entry.occurredAt);
        lot.expiredBy = index;
        touched.add(lot);
        need = ZERO;
      }
      let emptied = entry.expiresLot !== undefined;
      for (const lot of this.lots) {
        if (need.isZero()) break;
        if (lot.remainingCredits.isZero()) continue;
        const all = need.gte(lot.remainingCredits);
        const credits = all ? lot.remainingCredits : need;
        take(lot, credits, self, entry.occurredAt);
        need = credits === need ? ZERO : need.minus(credits);
        emptied ||= all;
      }
      if (need.gt(0)) {
        const planned: PlannedAllocation = { transaction: self, lotId: null, credits: need, costUsd: new Decimal(0) };
        plan.allocations.push(planned);
        queue.push({ id: null, transaction: self, credits: need, planned, occurredAt: entry.occurredAt });
      }
      // Most debits leave every lot holding credits: the list is rebuilt only when one emptied.
      if (emptied) this.lots = this.lots.filter((lot) => lot.remainingCredits.gt(0));
    });
    plan.allocations = plan.allocations.filter((a) => a.credits.gt(0));
    plan.touched = [...touched];
    return plan;
  }

  private insert(lot: OpenLot) {
    const at = this.lots.findIndex((other) => drawOrder(lot, other) < 0);
    this.lots.splice(at === -1 ? this.lots.length : at, 0, lot);
  }
}
