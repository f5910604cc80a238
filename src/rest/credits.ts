// BuilderStudio credits (source 000): balance, recent transactions, and both in one summary.
import { z } from "zod";
import type { CreditTransaction, Workspace } from "../db/generated/client.js";
import { creditBalanceOf, recentCreditTransactions } from "../domain/ledger.js";
import { parseQuery, sendRestJson, type Route } from "./router.js";

const transactionsQuery = z.object({
  limit: z.coerce.number().int("must be an integer").min(1, "must be between 1 and 200").max(200, "must be between 1 and 200").default(50),
  workspaceId: z.string().optional(),
});

function balanceBody(workspace: Workspace) {
  const balance = creditBalanceOf(workspace);
  return {
    workspaceId: workspace.id,
    balance: balance.credits,
    balanceUsd: balance.usdValue,
    creditPriceUsd: workspace.creditPriceUsd,
    asOf: balance.asOf.toISOString(),
  };
}

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

export const creditRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/mcp/credits/balance",
    scope: "read:billing",
    async handle(ctx) {
      const workspace = await ctx.workspace("read:billing");
      sendRestJson(ctx.res, 200, balanceBody(workspace));
    },
  },
  {
    method: "GET",
    path: "/api/mcp/credits/transactions",
    scope: "read:billing",
    async handle(ctx) {
      const { limit } = parseQuery(transactionsQuery, ctx.query);
      const workspace = await ctx.workspace("read:billing");
      const rows = await recentCreditTransactions(ctx.db.prisma, ctx.actor, workspace.id, limit);
      sendRestJson(ctx.res, 200, { workspaceId: workspace.id, limit, transactions: rows.map(transactionBody) });
    },
  },
  {
    method: "GET",
    path: "/api/mcp/billing/summary",
    scope: "read:billing",
    async handle(ctx) {
      const { limit } = parseQuery(transactionsQuery.extend({ limit: transactionsQuery.shape.limit.default(10) }), ctx.query);
      const workspace = await ctx.workspace("read:billing");
      const rows = await recentCreditTransactions(ctx.db.prisma, ctx.actor, workspace.id, limit);
      sendRestJson(ctx.res, 200, { ...balanceBody(workspace), recentTransactions: rows.map(transactionBody) });
    },
  },
];
