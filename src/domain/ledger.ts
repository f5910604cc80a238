import type { Workspace } from "../db/generated/client.js";

export interface CreditBalance {
  credits: Workspace["creditBalance"];
  usdValue: Workspace["creditBalance"];
  asOf: Date;
}

/** The balance kept on the workspace row, which every ledger write updates in its transaction. */
export function creditBalanceOf(workspace: Pick<Workspace, "creditBalance" | "creditPriceUsd">, asOf = new Date()): CreditBalance {
  return {
    credits: workspace.creditBalance,
    usdValue: workspace.creditBalance.mul(workspace.creditPriceUsd).toDecimalPlaces(8),
    asOf,
  };
}
