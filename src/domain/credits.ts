// Credits that arrive outside metering: grants, purchases, refunds and admin adjustments; and the
// monthly usage limit. All are admin operations and all are idempotent when given an idempotency
// key. Each row that adds credits makes a lot (credit-lots.ts) with a priority and a cost.
import { z } from "zod";
import type { CreditTransaction, Workspace } from "../db/generated/client.js";
import type { RequestContext } from "./context.js";
import { ValidationError } from "./errors.js";
import { LOT_PRIORITY, SYSTEM_KEY_PREFIX, type LotSource } from "./credit-lots.js";
import { appendLedger, Decimal, withLedgerLock, type LedgerEntry, type LedgerLock, type Tx } from "./ledger.js";
import { refundedOf } from "../store/credit-lots.js";
import { ledgerRowById, ledgerRowByKey } from "../store/ledger.js";
import { rowId } from "./rules/ids.js";
import { parseInput } from "./rules/check.js";
import { futureInstant } from "./rules/instants.js";
import { decimal, mulDiv } from "./rules/numbers.js";
import { freeText, name } from "./rules/text.js";
import { workspaceFor, type Selection, type WorkspaceTarget } from "./workspaces.js";

/** Credits fit the ledger's numeric(24, 6). */
const credits = (sign: "positive" | "non-zero") => decimal({ precision: 24, scale: 6, sign });
/** Money in whole cents, below 10^12 as the money columns (numeric(20, 8)) hold. */
const usd = decimal({ precision: 14, scale: 2, sign: "non-negative" });

const priority = z
  .number("must be a whole number")
  .int("must be a whole number")
  .min(LOT_PRIORITY.min, `must be at least ${LOT_PRIORITY.min}`)
  .max(LOT_PRIORITY.max, `must be at most ${LOT_PRIORITY.max}`);

/** A client's idempotency key: the gateway's own namespace is not theirs to write. */
const clientKey = name(200).refine((key) => !key.startsWith(SYSTEM_KEY_PREFIX), `must not start with "${SYSTEM_KEY_PREFIX}", which the gateway keeps for its own rows`);

const common = (now: Date) => ({
  description: freeText(500).nullish(),
  idempotencyKey: clientKey.nullish(),
  expiresAt: futureInstant(now).nullish(),
  priority: priority.nullish(),
});

const grantInput = (now: Date) => z.object({ credits: credits("positive"), ...common(now) });
const purchaseInput = (now: Date) => z.object({ credits: credits("positive"), amountPaidUsd: usd.nullish(), ...common(now) });
const adjustInput = z.object({
  credits: credits("non-zero"),
  description: freeText(500).refine((text) => text.trim() !== "", "say why the balance is adjusted"),
  idempotencyKey: clientKey.nullish(),
});
const refundInput = z.object({
  transactionId: z.string().transform((id, issue) => rowId(id) ?? (issue.addIssue({ code: "custom", message: "must be a ledger row id" }), z.NEVER)),
  credits: credits("positive").nullish(),
  description: freeText(500).nullish(),
  idempotencyKey: clientKey.nullish(),
});
const limitInput = z.object({ monthlyLimitUsd: usd });

export type GrantCreditsInput = z.input<ReturnType<typeof grantInput>>;
export type PurchaseCreditsInput = z.input<ReturnType<typeof purchaseInput>>;
export type AdjustCreditsInput = z.input<typeof adjustInput>;
export type RefundCreditsInput = z.input<typeof refundInput>;

/** The lot of credits that cost nothing. */
const freeLot = (source: LotSource, priority?: number | null) => ({ source, priority: priority ?? LOT_PRIORITY.default, costUsd: new Decimal(0) });

export async function grantCredits(ctx: RequestContext, target: WorkspaceTarget, raw: GrantCreditsInput): Promise<CreditTransaction> {
  const workspace = await workspaceFor(ctx, target, "admin");
  const input = parseInput(grantInput(ctx.clock.now()), raw);
  return postEntry(ctx, workspace, input.idempotencyKey, () => ({
    type: "GRANT",
    amount: new Decimal(input.credits),
    description: input.description?.trim() || "Credit grant",
    expiresAt: input.expiresAt ?? null,
    lot: freeLot("GRANT", input.priority),
  }));
}

export async function purchaseCredits(ctx: RequestContext, target: WorkspaceTarget, raw: PurchaseCreditsInput): Promise<CreditTransaction> {
  const workspace = await workspaceFor(ctx, target, "admin");
  const input = parseInput(purchaseInput(ctx.clock.now()), raw);
  return postEntry(ctx, workspace, input.idempotencyKey, (locked) => {
    const amount = new Decimal(input.credits);
    // Paid at the workspace's credit price unless the caller says what was charged.
    const paid = input.amountPaidUsd ? new Decimal(input.amountPaidUsd) : amount.mul(locked.creditPriceUsd).toDecimalPlaces(2);
    if (paid.gte("1e12")) throw ValidationError.single("amountPaidUsd", "must be less than 10^12");
    return {
      type: "PURCHASE",
      amount,
      moneyAmount: paid,
      description: input.description?.trim() || `Credit purchase: ${amount.toFixed()} credits`,
      expiresAt: input.expiresAt ?? null,
      lot: { source: "PURCHASE", priority: input.priority ?? LOT_PRIORITY.default, costUsd: paid },
    };
  });
}

export async function adjustCredits(ctx: RequestContext, target: WorkspaceTarget, raw: AdjustCreditsInput): Promise<CreditTransaction> {
  const workspace = await workspaceFor(ctx, target, "admin");
  const input = parseInput(adjustInput, raw);
  const amount = new Decimal(input.credits);
  return postEntry(ctx, workspace, input.idempotencyKey, () => ({
    type: "ADJUSTMENT",
    amount,
    description: input.description.trim(),
    // Goodwill: credits that cost nothing. A negative adjustment draws the lots down like usage.
    ...(amount.isPositive() ? { lot: freeLot("ADJUSTMENT") } : {}),
  }));
}

/**
 * Returns credits of a debit (usage, a charged execution, a negative adjustment), all that is left
 * of it by default. The refund's lot costs what the returned credits had cost, so a refund of
 * bought credits keeps their cost and a refund of free ones is free.
 */
export async function refundCredits(ctx: RequestContext, target: WorkspaceTarget, raw: RefundCreditsInput): Promise<CreditTransaction> {
  const workspace = await workspaceFor(ctx, target, "admin");
  const input = parseInput(refundInput, raw);
  return postEntry(ctx, workspace, input.idempotencyKey, async (_locked, run) => {
    const debit = await ledgerRowById(run, workspace.id, input.transactionId);
    if (!debit) throw ValidationError.single("transactionId", "no ledger row of this workspace has this id");
    if (!debit.amount.isNegative() || debit.type === "EXPIRATION") {
      throw ValidationError.single("transactionId", "only debits (usage, charged executions, negative adjustments) can be refunded");
    }
    const done = await refundedOf(run, debit.id);
    const debited = debit.amount.neg();
    const left = debited.minus(done.credits);
    const amount = input.credits ? new Decimal(input.credits) : left;
    if (left.isZero()) throw ValidationError.single("transactionId", "this debit is already refunded in full");
    if (amount.gt(left)) throw ValidationError.single("credits", `at most ${left.toFixed()} credits of this debit are left to refund`);
    // The last refund returns exactly the cost left, so that a debit's refunds add up to its cost.
    const costLeft = Decimal.max(0, debit.costUsd.minus(done.costUsd));
    const costUsd = amount.eq(left) ? costLeft : Decimal.min(costLeft, mulDiv(debit.costUsd, amount, debited, 8));
    return {
      type: "REFUND",
      amount,
      description: input.description?.trim() || `Refund of ${amount.toFixed()} credits of transaction ${debit.id}`,
      lot: { source: "REFUND", priority: LOT_PRIORITY.default, costUsd, refundOf: debit.id },
    };
  });
}

export async function setUsageLimit(ctx: RequestContext, target: WorkspaceTarget, raw: { monthlyLimitUsd: string }, selection: Selection = {}): Promise<Workspace> {
  const workspace = await workspaceFor(ctx, target, "admin");
  const input = parseInput(limitInput, raw);
  return ctx.db.prisma.workspace.update({ ...selection, where: { id: workspace.id }, data: { monthlyLimitUsd: input.monthlyLimitUsd } }) as Promise<Workspace>;
}

type Entry = Omit<LedgerEntry, "idempotencyKey" | "occurredAt">;

/** Posts one ledger entry, or returns the entry an earlier call with the same key posted. */
function postEntry(
  ctx: RequestContext,
  workspace: Workspace,
  idempotencyKey: string | null | undefined,
  build: (locked: LedgerLock, run: Tx) => Entry | Promise<Entry>,
): Promise<CreditTransaction> {
  return withLedgerLock(ctx, workspace.id, async (run, locked) => {
    if (idempotencyKey) {
      const earlier = await ledgerRowByKey(run, workspace.id, idempotencyKey);
      if (earlier) return earlier;
    }
    const [id] = await appendLedger(run, locked, [{ ...(await build(locked, run)), idempotencyKey, occurredAt: ctx.clock.now() }]);
    return (await ledgerRowById(run, workspace.id, id!))!;
  });
}
