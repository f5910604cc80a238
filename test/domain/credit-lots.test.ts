// The pure lot rules: draw order, the cost of a take, states and balances at a time, and the
// planner over random histories, where every credit and every cent must stay accounted for.
import { describe, expect, test } from "vitest";
import { Prisma } from "../../src/db/generated/client.js";
import { balanceAt, costOfTake, drawOrder, LotBook, lotState, type LotEntry, type OpenLot, type Owed } from "../../src/domain/credit-lots.js";
import { Random } from "../../src/seed/random.js";

const D = (value: string | number) => new Prisma.Decimal(value);
const T = (seconds: number) => new Date(Date.UTC(2027, 0, 1) + seconds * 1000);
const lot = (id: number, extra: Partial<OpenLot> = {}): OpenLot => ({
  id: BigInt(id), priority: 50, expiresAt: null, remainingCredits: D(100), remainingCostUsd: D(0), paid: false, firstDrawnAt: null, lastDrawnAt: null, ...extra,
});

describe("draw order", () => {
  test("is priority, then soonest expiry with none last, then oldest", () => {
    const lots = [
      lot(1), lot(2, { expiresAt: T(50) }), lot(3, { priority: 10 }), lot(4, { expiresAt: T(10) }), lot(5, { priority: 10, expiresAt: T(99) }), lot(6, { expiresAt: T(10) }),
    ];
    expect(lots.sort(drawOrder).map((l) => Number(l.id))).toEqual([5, 3, 4, 6, 2, 1]);
  });
});

describe("the cost of a take", () => {
  test("is the remaining cost in proportion, to 8 places, and all of it when the take empties the lot", () => {
    const third = { remainingCredits: D(3), remainingCostUsd: D("1.00") };
    expect(costOfTake(third, D(1)).toFixed()).toBe("0.33333333");
    expect(costOfTake(third, D(2)).toFixed()).toBe("0.66666667");
    expect(costOfTake(third, D(3)).toFixed()).toBe("1");
    // Beyond Prisma's 20 significant digits, still exact: 999999999999.99999999 × 1 ÷ 3.
    expect(costOfTake({ remainingCredits: D(3), remainingCostUsd: D("999999999999.99999999") }, D(1)).toFixed()).toBe("333333333333.33333333");
  });
});

describe("state and balance at a time", () => {
  const stored = { remainingCredits: D(5), expiresAt: T(10), expirationTransactionId: null };
  test("a lot is ACTIVE until its expiry, EXPIRED from it on; EXHAUSTED once empty; EXPIRED once its row is posted", () => {
    expect(lotState(stored, T(9))).toBe("ACTIVE");
    expect(lotState(stored, T(10))).toBe("EXPIRED");
    expect(lotState({ ...stored, remainingCredits: D(0) }, T(11))).toBe("EXHAUSTED");
    expect(lotState({ ...stored, remainingCredits: D(0), expirationTransactionId: 7n }, T(11))).toBe("EXPIRED");
  });
  test("leaves out expired remainders, splits paid from free and names the next expiry", () => {
    const lots = [lot(1, { paid: true, expiresAt: T(20) }), lot(2, { expiresAt: T(20), remainingCredits: D(5) }), lot(3, { expiresAt: T(5) }), lot(4)];
    expect(balanceAt(D(305), lots, T(6))).toEqual({ credits: D(205), paidCredits: D(100), freeCredits: D(105), nextExpiry: { at: T(20), credits: D(105) } });
    expect(balanceAt(D(305), lots, T(20))).toEqual({ credits: D(100), paidCredits: D(0), freeCredits: D(100), nextExpiry: null });
  });
});

describe("the planner over random histories", () => {
  test("accounts for every credit and every cent, settles what is owed oldest first, and keeps when each lot was drawn", () => {
    let settlements = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const rng = new Random(seed);
      const book = new LotBook([]);
      const lots = new Map<bigint, { original: Prisma.Decimal; cost: Prisma.Decimal; given: Prisma.Decimal; costGiven: Prisma.Decimal; drawn: Date[]; state: OpenLot }>();
      let owed: Owed[] = [];
      let nextOwed = 1n;
      let nextLot = 1n;
      let balance = D(0);
      let debited = D(0);
      let debitCost = D(0);
      for (let step = 0; step < 60; step++) {
        const now = T(step);
        for (const due of book.due(now)) {
          const plan = book.plan([{ type: "EXPIRATION", amount: due.remainingCredits.neg(), occurredAt: due.expiresAt!, expiresLot: due.id }], [], []);
          expect(plan.touched.map((l) => l.expiredBy)).toEqual([0]);
          balance = balance.plus(plan.allocations[0]!.credits.neg());
          for (const a of plan.allocations) record(a.lotId!, a.credits, a.costUsd, due.expiresAt!);
        }
        const adds = rng.next() < 0.35;
        const amount = D(rng.int(1, 5_000)).div(100);
        const entry: LotEntry = adds
          ? {
              type: "PURCHASE", amount, occurredAt: now, expiresAt: rng.next() < 0.5 ? T(step + rng.int(1, 20)) : null,
              lot: { source: "PURCHASE", priority: rng.int(1, 100), costUsd: rng.next() < 0.3 ? D(0) : D(rng.int(1, 9_999)).div(100) },
            }
          : { type: "USAGE", amount: amount.neg(), occurredAt: now };
        const ids = adds ? [nextLot++] : [];
        const oldest = owed[0];
        const plan = book.plan([entry], ids, owed);
        if (plan.settled.length) {
          settlements++;
          expect(plan.settled[0]).toBe(oldest);
        }
        balance = balance.plus(entry.amount);
        if (adds) lots.set(ids[0]!, { original: amount, cost: entry.lot!.costUsd, given: D(0), costGiven: D(0), drawn: [], state: plan.newLots[0]! });
        else {
          debited = debited.plus(amount);
          debitCost = debitCost.plus(plan.costs[0]!);
        }
        // An earlier debt settled now was drawn at its own time (its step).
        for (const a of plan.allocations) if (a.lotId !== null) record(a.lotId, a.credits, a.costUsd, "entry" in a.transaction ? now : T(Number(a.transaction.id)));
        // What is still owed, oldest first, as the store hands it to the next plan (the plan shrank the old debts it settled).
        owed = [
          ...owed.filter((d) => d.credits.gt(0)),
          ...plan.allocations.filter((a) => a.lotId === null).map((a) => ({ id: nextOwed++, transaction: { id: BigInt(step) }, credits: a.credits, occurredAt: now })),
        ];
        const inLots = [...lots.values()].reduce((sum, l) => sum.plus(l.state.remainingCredits), D(0));
        const stillOwed = owed.reduce((sum, d) => sum.plus(d.credits), D(0));
        expect(inLots.minus(stillOwed).toFixed()).toBe(balance.toFixed()); // the balance is the lots less what is owed
      }
      for (const l of lots.values()) {
        expect(l.original.minus(l.state.remainingCredits).toFixed()).toBe(l.given.toFixed());
        expect(l.cost.minus(l.state.remainingCostUsd).toFixed()).toBe(l.costGiven.toFixed());
        expect(l.state.remainingCostUsd.isNegative()).toBe(false);
        const times = l.drawn.map((at) => at.getTime());
        expect([l.state.firstDrawnAt?.getTime() ?? null, l.state.lastDrawnAt?.getTime() ?? null]).toEqual(times.length ? [Math.min(...times), Math.max(...times)] : [null, null]);
      }
      function record(lotId: bigint, credits: Prisma.Decimal, cost: Prisma.Decimal, at: Date) {
        const l = lots.get(lotId)!;
        l.given = l.given.plus(credits);
        l.costGiven = l.costGiven.plus(cost);
        l.drawn.push(at);
      }
      expect(debited.gt(0)).toBe(true);
      expect(debitCost.isNegative()).toBe(false);
    }
    expect(settlements).toBeGreaterThan(10); // the histories do run dry and get topped up
  });
});
