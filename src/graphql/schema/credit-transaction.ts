import type { CreditTransaction } from "../../db/generated/client.js";
import { adjustCredits, grantCredits, purchaseCredits, refundCredits, setUsageLimit } from "../../domain/credits.js";
import { InsufficientCreditsError } from "../../domain/errors.js";
import { creditTransactionsConnection } from "../../domain/ledger.js";
import { builder } from "../builder.js";
import { TOTAL_COUNT, totalCount } from "./connections.js";
import { CreditTransactionTypeEnum, SortOrderEnum } from "./enums.js";
import { MUTATION_ERRORS } from "./errors.js";
import { WorkspaceRef } from "./workspace.js";

export const CreditTransactionRef = builder.prismaNode("CreditTransaction", {
  id: { field: "id" },
  nullable: true,
  fields: (t) => ({
    type: t.field({ type: CreditTransactionTypeEnum, resolve: (row) => row.type }),
    amount: t.field({ type: "Decimal", description: "Signed credits: positive adds to the balance.", resolve: (row) => row.amount }),
    balanceAfter: t.field({ type: "Decimal", resolve: (row) => row.balanceAfter }),
    moneyAmount: t.field({ type: "Decimal", nullable: true, description: "Money paid, for purchases.", resolve: (row) => row.moneyAmount }),
    moneyCurrency: t.exposeString("moneyCurrency", { nullable: true }),
    description: t.exposeString("description"),
    idempotencyKey: t.exposeString("idempotencyKey", { nullable: true }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    occurredAt: t.expose("occurredAt", { type: "DateTime" }),
    costUsd: t.field({
      type: "Decimal",
      description: "USD this row recognizes: what the credits a debit or an expiration took had cost; minus what a refund of bought credits returned; else 0.",
      resolve: (row) => row.costUsd,
    }),
    allocations: t.relation("allocations", {
      description: "Which lots paid for a debit, or the lot an EXPIRATION row expired; what each gave and what that had cost.",
      query: { orderBy: { id: "asc" } },
    }),
    usageRecord: t.relation("usageRecord", { nullable: true }),
    execution: t.relation("execution", { nullable: true }),
  }),
});

builder.prismaObjectField("Workspace", "creditTransactions", (t) =>
  t.connection(
    {
      type: CreditTransactionRef,
      nullable: true,
      description: "The credit ledger, newest first by default.",
      args: {
        types: t.arg({ type: [CreditTransactionTypeEnum], required: false }),
        from: t.arg({ type: "DateTime", required: false, description: "Inclusive lower bound of occurredAt." }),
        to: t.arg({ type: "DateTime", required: false, description: "Exclusive upper bound of occurredAt." }),
        order: t.arg({ type: SortOrderEnum, required: false, defaultValue: "NEWEST_FIRST" }),
      },
      resolve: (workspace, args, ctx) => creditTransactionsConnection(ctx, workspace, args, args),
    },
    { fields: (t) => ({ totalCount: t.int({ description: TOTAL_COUNT, resolve: totalCount }) }) },
  ),
);

const CreditInput = (name: string, extra: "purchase" | "grant" | "adjust") =>
  builder.inputType(name, {
    fields: (t) => ({
      workspaceId: t.globalID({ for: WorkspaceRef, description: "Defaults to the caller's workspace." }),
      credits: t.field({
        type: "Decimal",
        required: true,
        description: extra === "adjust" ? "Signed credits to add (negative to remove)." : "Credits to add.",
      }),
      description: t.string({ required: extra === "adjust" }),
      idempotencyKey: t.string({ description: "Repeating a key returns the first result instead of posting twice." }),
      ...(extra === "purchase" ? { amountPaidUsd: t.field({ type: "Decimal", description: "Defaults to credits × credit price." }) } : {}),
      ...(extra !== "adjust"
        ? {
            expiresAt: t.field({ type: "DateTime", description: "From then on the lot's remaining credits no longer count or pay." }),
            priority: t.int({ description: "1–100, lower drawn first; 50 by default." }),
          }
        : {}),
    }),
  });

const GrantCreditsInput = CreditInput("GrantCreditsInput", "grant");
const PurchaseCreditsInput = CreditInput("PurchaseCreditsInput", "purchase");
const AdjustCreditsInput = CreditInput("AdjustCreditsInput", "adjust");
const RefundCreditsInput = builder.inputType("RefundCreditsInput", {
  fields: (t) => ({
    workspaceId: t.globalID({ for: WorkspaceRef, description: "Defaults to the caller's workspace." }),
    transactionId: t.globalID({ for: CreditTransactionRef, required: true, description: "The debit to refund: usage, a charged execution or a negative adjustment." }),
    credits: t.field({ type: "Decimal", description: "Defaults to all that is left of the debit to refund." }),
    description: t.string(),
    idempotencyKey: t.string({ description: "Repeating a key returns the first result instead of posting twice." }),
  }),
});

const CreditTransactionPayload = builder.objectRef<{ transaction: CreditTransaction }>("CreditTransactionPayload").implement({
  fields: (t) => ({
    transaction: t.field({ type: CreditTransactionRef, resolve: (p) => p.transaction }),
  }),
});

const CREDIT_ERRORS = [...MUTATION_ERRORS, InsufficientCreditsError];
const target = (id: { id: string } | null | undefined) => ({ id: id?.id ?? null });

builder.mutationFields((t) => ({
  grantCredits: t.field({
    type: CreditTransactionPayload,
    description: "Adds free credits (admin).",
    errors: { types: CREDIT_ERRORS, directResult: true, union: { name: "GrantCreditsResult" } },
    args: { input: t.arg({ type: GrantCreditsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ transaction: await grantCredits(ctx, target(input.workspaceId), input) }),
  }),
  purchaseCredits: t.field({
    type: CreditTransactionPayload,
    description: "Records a credit purchase and the money paid (admin).",
    errors: { types: CREDIT_ERRORS, directResult: true, union: { name: "PurchaseCreditsResult" } },
    args: { input: t.arg({ type: PurchaseCreditsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ transaction: await purchaseCredits(ctx, target(input.workspaceId), input) }),
  }),
  adjustCredits: t.field({
    type: CreditTransactionPayload,
    description: "Corrects the balance up or down, with a reason (admin).",
    errors: { types: CREDIT_ERRORS, directResult: true, union: { name: "AdjustCreditsResult" } },
    args: { input: t.arg({ type: AdjustCreditsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ transaction: await adjustCredits(ctx, target(input.workspaceId), { ...input, description: input.description ?? "" }) }),
  }),
  refundCredits: t.field({
    type: CreditTransactionPayload,
    description: "Returns credits of a debit as a new lot that costs what they had cost (admin).",
    errors: { types: CREDIT_ERRORS, directResult: true, union: { name: "RefundCreditsResult" } },
    args: { input: t.arg({ type: RefundCreditsInput, required: true }) },
    resolve: async (_root, { input }, ctx) =>
      ({ transaction: await refundCredits(ctx, target(input.workspaceId), { ...input, transactionId: input.transactionId.id }) }),
  }),
  setUsageLimit: t.prismaField({
    type: "Workspace",
    description: "Sets the monthly usage limit in USD (admin).",
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: "SetUsageLimitResult" } },
    args: {
      workspaceId: t.arg.globalID({ for: WorkspaceRef, required: false }),
      monthlyLimitUsd: t.arg({ type: "Decimal", required: true }),
    },
    resolve: (query, _root, args, ctx) => setUsageLimit(ctx, target(args.workspaceId), { monthlyLimitUsd: args.monthlyLimitUsd }, query),
  }),
}));
