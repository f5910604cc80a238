// Credits that arrive outside metering: grants, purchases, and admin adjustments; and the monthly
// usage limit. All are admin operations and all are idempotent when given an idempotency key.
import { z } from "zod";
import type { CreditTransaction, CreditTransactionType, Workspace } from "../db/generated/client.js";
import type { RequestContext } from "./context.js";
import { ValidationError } from "./errors.js";
import { appendLedger, Decimal, withLedgerLock, type LockedWorkspace } from "./ledger.js";
import { parseInput } from "./rules/check.js";
import { futureInstant } from "./rules/instants.js";
import { decimal } from "./rules/numbers.js";
import { freeText, name } from "./rules/text.js";
import { workspaceFor, type Selection, type WorkspaceTarget } from "./workspaces.js";

/** Credits fit the ledger's numeric(24, 6). */
const credits = (sign: "positive" | "non-zero") => decimal({ precision: 24, scale: 6, sign });
/** Money in whole cents, below 10^12 as the money columns (numeric(20, 8)) hold. */
const usd = decimal({ precision: 14, scale: 2, sign: "non-negative" });

const common = (now: Date) => ({
  description: freeText(500).nullish(),
  idempotencyKey: name(200).nullish(),
  expiresAt: futureInstant(now).nullish(),
});

const grantInput = (now: Date) => z.object({ credits: credits("positive"), ...common(now) });
const purchaseInput = (now: Date) => z.object({ credits: credits("positive"), amountPaidUsd: usd.nullish(), ...common(now) });
const adjustInput = z.object({
  credits: credits("non-zero"),
  description: freeText(500).refine((text) => text.trim() !== "", "say why the balance is adjusted"),
  idempotencyKey: name(200).nullish(),
});
const limitInput = z.object({ monthlyLimitUsd: usd });

export type GrantCreditsInput = z.input<ReturnType<typeof grantInput>>;
export type PurchaseCreditsInput = z.input<ReturnType<typeof purchaseInput>>;
export type AdjustCreditsInput = z.input<typeof adjustInput>;

export async function grantCredits(ctx: RequestContext, target: WorkspaceTarget, raw: GrantCreditsInput): Promise<CreditTransaction> {
  const workspace = await workspaceFor(ctx, target, "admin");
  const input = parseInput(grantInput(ctx.clock.now()), raw);
  return postEntry(ctx, workspace, input.idempotencyKey, () => ({
    type: "GRANT",
    amount: new Decimal(input.credits),
    description: input.description?.trim() || "Credit grant",
    expiresAt: input.expiresAt ?? null,
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
    return { type: "PURCHASE", amount, moneyAmount: paid, description: input.description?.trim() || `Credit purchase: ${amount.toFixed()} credits`, expiresAt: input.expiresAt ?? null };
  });
}

export async function adjustCredits(ctx: RequestContext, target: WorkspaceTarget, raw: AdjustCreditsInput): Promise<CreditTransaction> {
  const workspace = await workspaceFor(ctx, target, "admin");
  const input = parseInput(adjustInput, raw);
  return postEntry(ctx, workspace, input.idempotencyKey, () => ({
    type: "ADJUSTMENT",
    amount: new Decimal(input.credits),
    description: input.description.trim(),
  }));
}

export async function setUsageLimit(ctx: RequestContext, target: WorkspaceTarget, raw: { monthlyLimitUsd: string }, selection: Selection = {}): Promise<Workspace> {
  const workspace = await workspaceFor(ctx, target, "admin");
  const input = parseInput(limitInput, raw);
  return ctx.db.prisma.workspace.update({ ...selection, where: { id: workspace.id }, data: { monthlyLimitUsd: input.monthlyLimitUsd } }) as Promise<Workspace>;
}

type Entry = { type: CreditTransactionType; amount: Decimal; description: string; moneyAmount?: Decimal; expiresAt?: Date | null };

/** Posts one ledger entry, or returns the entry an earlier call with the same key posted. */
function postEntry(ctx: RequestContext, workspace: Workspace, idempotencyKey: string | null | undefined, build: (locked: LockedWorkspace) => Entry): Promise<CreditTransaction> {
  return withLedgerLock(ctx, workspace.id, async (tx, locked) => {
    if (idempotencyKey) {
      const earlier = await tx.creditTransaction.findUnique({ where: { workspaceId_idempotencyKey: { workspaceId: workspace.id, idempotencyKey } } });
      if (earlier) return earlier;
    }
    const [id] = await appendLedger(tx, locked, [{ ...build(locked), idempotencyKey, occurredAt: ctx.clock.now() }]);
    return tx.creditTransaction.findUniqueOrThrow({ where: { id: id! } });
  });
}
