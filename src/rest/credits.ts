// BuilderStudio credits (source 000): balance, recent transactions, and both in one summary.
import { z } from "zod";
import type { CreditTransaction } from "../db/generated/client.js";
import { billingSummary, creditBalance, recentCreditTransactions, RECENT_TRANSACTIONS_PAGE, SUMMARY_TRANSACTIONS_PAGE, type CreditBalance } from "../domain/ledger.js";
import { pageSizeParam } from "../domain/rules/pages.js";
import { sendRestJson } from "./router.js";
import { defineRoute } from "./route.js";
import { decimalNumber, isoInstant, jsonResponse, workspaceIdParam } from "./schemas.js";

const TAG = "Credits (BuilderStudio)";

function balanceBody({ workspace, credits, usdValue, paidCredits, freeCredits, asOf }: CreditBalance & { workspace: { id: string; creditPriceUsd: unknown } }) {
  return {
    workspaceId: workspace.id, balance: credits, balanceUsd: usdValue, creditPriceUsd: workspace.creditPriceUsd,
    paidBalance: paidCredits, freeBalance: freeCredits, asOf: asOf.toISOString(),
  };
}

const balanceFields = {
  workspaceId: z.uuid(),
  balance: decimalNumber("Credits that count now: expired credits are left out, even before their expiration row is posted. balance = paidBalance + freeBalance − overdraft owed."),
  balanceUsd: decimalNumber("balance × creditPriceUsd."),
  creditPriceUsd: decimalNumber("USD value of one credit."),
  paidBalance: decimalNumber("Credits left in lots that were bought (or refunded from bought credits)."),
  freeBalance: decimalNumber("Credits left in lots that cost nothing: grants, goodwill adjustments, refunds of free credits."),
  asOf: isoInstant("When the balance was read."),
};

function transactionBody(row: CreditTransaction) {
  return {
    id: row.id.toString(),
    type: row.type.toLowerCase(),
    amount: row.amount,
    balanceAfter: row.balanceAfter,
    moneyAmount: row.moneyAmount,
    moneyCurrency: row.moneyCurrency,
    description: row.description,
    usageRecordId: row.usageRecordId?.toString() ?? null,
    executionId: row.executionId?.toString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    createdAt: row.occurredAt.toISOString(),
  };
}

const transaction = z.object({
  id: z.string(),
  type: z.enum(["grant", "purchase", "usage", "refund", "adjustment", "expiration"]),
  amount: decimalNumber("Signed credits."),
  balanceAfter: decimalNumber(),
  moneyAmount: decimalNumber("Money paid, for purchases.").nullable(),
  moneyCurrency: z.string().nullable(),
  description: z.string(),
  usageRecordId: z.string().nullable(),
  executionId: z.string().nullable(),
  expiresAt: isoInstant().nullable(),
  createdAt: isoInstant(),
}).meta({ id: "CreditTransaction" });

const limit = (rule: typeof RECENT_TRANSACTIONS_PAGE) => pageSizeParam(rule, `How many, newest first (1–${rule.max}).`);

export const creditRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/mcp/credits/balance",
    operationId: "creditBalance",
    summary: "Current credit balance",
    tag: TAG,
    scope: "read:billing",
    query: z.object({ workspaceId: workspaceIdParam }),
    responses: { "200": jsonResponse("The balance at the time of the request.", z.object(balanceFields)) },
    async handle({ ctx, query, res }) {
      sendRestJson(res, 200, balanceBody(await creditBalance(ctx, { id: query.workspaceId })));
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/mcp/credits/transactions",
    operationId: "creditTransactions",
    summary: "Recent credit transactions, newest first",
    tag: TAG,
    scope: "read:billing",
    query: z.object({ limit: limit(RECENT_TRANSACTIONS_PAGE), workspaceId: workspaceIdParam }),
    responses: { "200": jsonResponse("The newest ledger rows.", z.object({ workspaceId: z.uuid(), limit: z.int(), transactions: z.array(transaction) })) },
    async handle({ ctx, query, res }) {
      const { workspace, limit, rows } = await recentCreditTransactions(ctx, { id: query.workspaceId }, query.limit ?? null);
      sendRestJson(res, 200, { workspaceId: workspace.id, limit, transactions: rows.map(transactionBody) });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/mcp/billing/summary",
    operationId: "billingSummary",
    summary: "Balance and the most recent transactions",
    tag: TAG,
    scope: "read:billing",
    query: z.object({ limit: limit(SUMMARY_TRANSACTIONS_PAGE), workspaceId: workspaceIdParam }),
    responses: { "200": jsonResponse("Balance and the newest ledger rows.", z.object({ ...balanceFields, recentTransactions: z.array(transaction) })) },
    async handle({ ctx, query, res }) {
      const { balance, recent } = await billingSummary(ctx, { id: query.workspaceId }, query.limit ?? null);
      sendRestJson(res, 200, { ...balanceBody(balance), recentTransactions: recent.rows.map(transactionBody) });
    },
  }),
];
