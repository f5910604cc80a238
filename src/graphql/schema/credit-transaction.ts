import type { CreditTransaction } from "../../db/generated/client.js";
import { adjustCredits, grantCredits, purchaseCredits, refundCredits, setUsageLimit } from "../../domain/credits.js";
import { InsufficientCreditsError } from "../../domain/errors.js";
import { creditTransactionsConnection, type LedgerColumn } from "../../domain/ledger.js";
import { builder } from "../builder.js";
import { columnsFor, selectedOnNodes } from "../selection.js";
import { TOTAL_COUNT, totalCount } from "./connections.js";
import { CreditTransactionTypeEnum, SortOrderEnum } from "./enums.js";
import { MUTATION_ERRORS } from "./errors.js";
import { UsageRecordRef } from "./usage-record.js";
import { WorkspaceRef, workspaceTarget } from "./workspace.js";

export const CreditTransactionRef = builder.prismaNode("CreditTransaction", {
  id: { field: "id" },
  nullable: true,
  description: "One row of a workspace's append-only credit ledger (read:billing).",
  fields: (t) => ({
    type: t.field({ type: CreditTransactionTypeEnum, description: "What the row does to the balance.", resolve: (row) => row.type }),
    amount: t.field({ type: "Decimal", description: "Signed credits: positive adds to the balance.", resolve: (row) => row.amount }),
    balanceAfter: t.field({
      type: "Decimal",
      description: "The balance right after this row: the running sum of amount in posting order.",
      resolve: (row) => row.balanceAfter,
    }),
    moneyAmount: t.field({ type: "Decimal", nullable: true, description: "Money paid, for purchases.", resolve: (row) => row.moneyAmount }),
    moneyCurrency: t.exposeString("moneyCurrency", { nullable: true, description: "USD when moneyAmount is set; else null." }),
    description: t.exposeString("description", {
      description: "What the row is for: the text sent with it, or one the gateway wrote (for a charge, the SKU and units).",
    }),
    idempotencyKey: t.exposeString("idempotencyKey", {
      nullable: true,
      description: "The key it was posted under, if any; keys starting with gateway: are the gateway's own (expirations).",
    }),
    expiresAt: t.expose("expiresAt", {
      type: "DateTime",
      nullable: true,
      description: "For a grant or purchase, when the credits it added expire; null otherwise or when they do not.",
    }),
    occurredAt: t.expose("occurredAt", {
      type: "DateTime",
      description: "When the row takes effect: when it was posted, or the charge's time, the execution's start, the lot's expiry.",
    }),
    costUsd: t.field({
      type: "Decimal",
      description: "USD this row recognizes: what the credits a debit or an expiration took had cost; minus what a refund of bought credits returned; else 0.",
      resolve: (row) => row.costUsd,
    }),
    allocations: t.relation("allocations", {
      description: "Which lots paid for a debit, or the lot an EXPIRATION row expired; what each gave and what that had cost.",
      query: { orderBy: { id: "asc" } },
    }),
    usageRecord: t.field({
      type: UsageRecordRef,
      nullable: true,
      description: "The metered charge a USAGE row debits; null otherwise.",
      resolve: (row, _args, ctx) => (row.usageRecordId === null ? null : ctx.loaders.usageRecord.load({ workspaceId: row.workspaceId, id: row.usageRecordId })),
    }),
    execution: t.relation("execution", { nullable: true, description: "The execution a USAGE row charges (chargeCredits); null otherwise." }),
  }),
});

/**
 * The columns each field of a ledger row reads, so that a page reads only those its selection
 * needs (a dashboard's four fields of 50 rows: Node's work per request fell by about a quarter).
 * A field missing here (the relations) makes the page read its rows whole.
 */
const COLUMNS_OF_FIELD: Partial<Record<string, readonly LedgerColumn[]>> = {
  id: [],
  type: ["type"],
  amount: ["amount"],
  balanceAfter: ["balanceAfter"],
  moneyAmount: ["moneyAmount"],
  moneyCurrency: ["moneyCurrency"],
  description: ["description"],
  idempotencyKey: ["idempotencyKey"],
  expiresAt: ["expiresAt"],
  occurredAt: ["occurredAt"],
  costUsd: ["costUsd"],
  usageRecord: ["usageRecordId"],
};

builder.prismaObjectField("Workspace", "creditTransactions", (t) =>
  t.connection(
    {
      type: CreditTransactionRef,
      nullable: true,
      description: "The credit ledger, newest first by default.",
      args: {
        types: t.arg({ type: [CreditTransactionTypeEnum], required: false, description: "Only rows of these types; every type when absent or empty." }),
        from: t.arg({ type: "DateTime", required: false, description: "Inclusive lower bound of occurredAt." }),
        to: t.arg({ type: "DateTime", required: false, description: "Exclusive upper bound of occurredAt." }),
        order: t.arg({ type: SortOrderEnum, required: false, defaultValue: "NEWEST_FIRST", description: "By posting order." }),
      },
      resolve: (workspace, args, ctx, info) => creditTransactionsConnection(ctx, workspace, args, args, columnsFor(selectedOnNodes(info), COLUMNS_OF_FIELD)),
    },
    {
      description: "A page of a workspace's credit ledger.",
      fields: (t) => ({ totalCount: t.int({ description: TOTAL_COUNT, resolve: totalCount }) }),
    },
    { description: "A ledger row and its cursor." },
  ),
);

const CREDIT_INPUT_DESCRIPTIONS = {
  grant: "Free credits to add to a workspace, as a new lot.",
  purchase: "Credits bought, and the money paid for them; they make a lot that costs that money.",
  adjust: "A correction of the balance, with its reason: positive adds free credits, negative draws the lots down like usage.",
};

const CreditInput = (name: string, extra: "purchase" | "grant" | "adjust") =>
  builder.inputType(name, {
    description: CREDIT_INPUT_DESCRIPTIONS[extra],
    fields: (t) => ({
      workspaceId: t.globalID({ for: WorkspaceRef, description: "Defaults to the caller's workspace." }),
      credits: t.field({
        type: "Decimal",
        required: true,
        description: extra === "adjust" ? "Signed credits to add (negative to remove)." : "Credits to add.",
      }),
      description: t.string({
        required: extra === "adjust",
        description:
          extra === "adjust"
            ? "Why the balance is adjusted (not blank, at most 500 characters); shown on the ledger row."
            : "Shown on the ledger row, at most 500 characters; the gateway writes one when absent.",
      }),
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
  description: "Credits of a debit to give back, as a new lot that costs what they had cost.",
  fields: (t) => ({
    workspaceId: t.globalID({ for: WorkspaceRef, description: "Defaults to the caller's workspace." }),
    transactionId: t.globalID({ for: CreditTransactionRef, required: true, description: "The debit to refund: usage, a charged execution or a negative adjustment." }),
    credits: t.field({ type: "Decimal", description: "Defaults to all that is left of the debit to refund." }),
    description: t.string({ description: "Shown on the ledger row, at most 500 characters; by default it names the refunded row." }),
    idempotencyKey: t.string({ description: "Repeating a key returns the first result instead of posting twice." }),
  }),
});

const CreditTransactionPayload = builder.objectRef<{ transaction: CreditTransaction }>("CreditTransactionPayload").implement({
  description: "The ledger row a credit mutation posted.",
  fields: (t) => ({
    transaction: t.field({
      type: CreditTransactionRef,
      description: "The row posted, or the one posted earlier under the same idempotency key.",
      resolve: (p) => p.transaction,
    }),
  }),
});

const CREDIT_ERRORS = [...MUTATION_ERRORS, InsufficientCreditsError];
builder.mutationFields((t) => ({
  grantCredits: t.field({
    type: CreditTransactionPayload,
    description: "Adds free credits (admin).",
    errors: { types: CREDIT_ERRORS, directResult: true, union: { name: "GrantCreditsResult", description: "The grant's ledger row, or why nothing was posted." } },
    args: { input: t.arg({ type: GrantCreditsInput, required: true, description: "The credits to grant." }) },
    resolve: async (_root, { input }, ctx) => ({ transaction: await grantCredits(ctx, workspaceTarget(input.workspaceId), input) }),
  }),
  purchaseCredits: t.field({
    type: CreditTransactionPayload,
    description: "Records a credit purchase and the money paid (admin).",
    errors: { types: CREDIT_ERRORS, directResult: true, union: { name: "PurchaseCreditsResult", description: "The purchase's ledger row, or why nothing was posted." } },
    args: { input: t.arg({ type: PurchaseCreditsInput, required: true, description: "The purchase to record." }) },
    resolve: async (_root, { input }, ctx) => ({ transaction: await purchaseCredits(ctx, workspaceTarget(input.workspaceId), input) }),
  }),
  adjustCredits: t.field({
    type: CreditTransactionPayload,
    description: "Corrects the balance up or down, with a reason (admin).",
    errors: { types: CREDIT_ERRORS, directResult: true, union: { name: "AdjustCreditsResult", description: "The adjustment's ledger row, or why nothing was posted." } },
    args: { input: t.arg({ type: AdjustCreditsInput, required: true, description: "The adjustment." }) },
    resolve: async (_root, { input }, ctx) => ({ transaction: await adjustCredits(ctx, workspaceTarget(input.workspaceId), { ...input, description: input.description ?? "" }) }),
  }),
  refundCredits: t.field({
    type: CreditTransactionPayload,
    description: "Returns credits of a debit as a new lot that costs what they had cost (admin).",
    errors: { types: CREDIT_ERRORS, directResult: true, union: { name: "RefundCreditsResult", description: "The refund's ledger row, or why nothing was posted." } },
    args: { input: t.arg({ type: RefundCreditsInput, required: true, description: "The debit and credits to refund." }) },
    resolve: async (_root, { input }, ctx) =>
      ({ transaction: await refundCredits(ctx, workspaceTarget(input.workspaceId), { ...input, transactionId: input.transactionId.id }) }),
  }),
  setUsageLimit: t.prismaField({
    type: "Workspace",
    description: "Sets the monthly usage limit in USD (admin).",
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: "SetUsageLimitResult", description: "The workspace with its new limit, or why it was not set." },
    },
    args: {
      workspaceId: t.arg.globalID({ for: WorkspaceRef, required: false, description: "Defaults to the caller's workspace." }),
      monthlyLimitUsd: t.arg({
        type: "Decimal",
        required: true,
        description: "The limit in USD per calendar month: not negative, at most 2 decimals, below 10^12.",
      }),
    },
    resolve: (query, _root, args, ctx) => setUsageLimit(ctx, workspaceTarget(args.workspaceId), { monthlyLimitUsd: args.monthlyLimitUsd }, query),
  }),
}));
