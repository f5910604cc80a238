// Credits that arrive outside metering: grants, purchases, and admin adjustments; and the monthly
// usage limit. All are admin operations and all are idempotent when given an idempotency key.
import { z } from "zod";
import type { Actor } from "../auth/actor.js";
import type { PrismaClient } from "../db/client.js";
import type { CreditTransaction, CreditTransactionType, Workspace } from "../db/generated/client.js";
import { assertWorkspaceScope } from "./access.js";
import { appendLedger, Decimal, withLedgerLock, type LockedWorkspace } from "./ledger.js";
import { decimalString } from "./usage.js";
import { parseInput } from "./validation.js";

const positiveCredits = decimalString(6).refine((v) => !v.startsWith("-") && Number(v) > 0, "must be greater than 0");
const common = {
  description: z.string().trim().min(1).max(500).nullish(),
  idempotencyKey: z.string().trim().min(1).max(200).nullish(),
};
const futureDate = z.coerce.date().nullish().refine((d) => !d || d.getTime() > Date.now(), "must be in the future");

const grantInput = z.object({ credits: positiveCredits, expiresAt: futureDate, ...common });
const purchaseInput = z.object({
  credits: positiveCredits,
  amountPaidUsd: decimalString(2).refine((v) => !v.startsWith("-"), "must not be negative").nullish(),
  expiresAt: futureDate,
  ...common,
});
const adjustInput = z.object({
  credits: decimalString(6).refine((v) => Number(v) !== 0, "must not be 0"),
  description: z.string().trim().min(1, "say why the balance is adjusted").max(500),
  idempotencyKey: common.idempotencyKey,
});
const limitInput = z.object({ monthlyLimitUsd: decimalString(2).refine((v) => !v.startsWith("-"), "must not be negative") });

export type GrantCreditsInput = z.input<typeof grantInput>;
export type PurchaseCreditsInput = z.input<typeof purchaseInput>;
export type AdjustCreditsInput = z.input<typeof adjustInput>;

export async function grantCredits(prisma: PrismaClient, actor: Actor, workspaceId: string, raw: GrantCreditsInput): Promise<CreditTransaction> {
  assertWorkspaceScope(actor, workspaceId, "admin");
  const input = parseInput(grantInput, raw);
  return postEntry(prisma, workspaceId, input.idempotencyKey, () => ({
    type: "GRANT",
    amount: new Decimal(input.credits),
    description: input.description ?? "Credit grant",
    expiresAt: input.expiresAt ?? null,
  }));
}

export async function purchaseCredits(prisma: PrismaClient, actor: Actor, workspaceId: string, raw: PurchaseCreditsInput): Promise<CreditTransaction> {
  assertWorkspaceScope(actor, workspaceId, "admin");
  const input = parseInput(purchaseInput, raw);
  return postEntry(prisma, workspaceId, input.idempotencyKey, (workspace) => {
    const credits = new Decimal(input.credits);
    return {
      type: "PURCHASE",
      amount: credits,
      // Paid at the workspace's credit price unless the caller says what was charged.
      moneyAmount: input.amountPaidUsd ? new Decimal(input.amountPaidUsd) : credits.mul(workspace.creditPriceUsd).toDecimalPlaces(2),
      description: input.description ?? `Credit purchase: ${credits.toFixed()} credits`,
      expiresAt: input.expiresAt ?? null,
    };
  });
}

export async function adjustCredits(prisma: PrismaClient, actor: Actor, workspaceId: string, raw: AdjustCreditsInput): Promise<CreditTransaction> {
  assertWorkspaceScope(actor, workspaceId, "admin");
  const input = parseInput(adjustInput, raw);
  return postEntry(prisma, workspaceId, input.idempotencyKey, () => ({
    type: "ADJUSTMENT",
    amount: new Decimal(input.credits),
    description: input.description,
  }));
}

export async function setUsageLimit(prisma: PrismaClient, actor: Actor, workspaceId: string, raw: { monthlyLimitUsd: string }): Promise<Workspace> {
  assertWorkspaceScope(actor, workspaceId, "admin");
  const input = parseInput(limitInput, raw);
  return prisma.workspace.update({ where: { id: workspaceId }, data: { monthlyLimitUsd: input.monthlyLimitUsd } });
}

/** Posts one ledger entry, or returns the entry an earlier call with the same key posted. */
async function postEntry(
  prisma: PrismaClient,
  workspaceId: string,
  idempotencyKey: string | null | undefined,
  build: (workspace: LockedWorkspace) => { type: CreditTransactionType; amount: Decimal; description: string; moneyAmount?: Decimal; expiresAt?: Date | null },
): Promise<CreditTransaction> {
  return withLedgerLock(prisma, workspaceId, async (tx, workspace) => {
    if (idempotencyKey) {
      const earlier = await tx.creditTransaction.findUnique({ where: { workspaceId_idempotencyKey: { workspaceId, idempotencyKey } } });
      if (earlier) return earlier;
    }
    const [id] = await appendLedger(tx, workspace, [{ ...build(workspace), idempotencyKey }]);
    return tx.creditTransaction.findUniqueOrThrow({ where: { id: id! } });
  });
}
