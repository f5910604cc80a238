// Purchases as the FOCUS 1.3 Contract Commitment dataset: each purchase is a spend commitment of
// its money for its credits over its validity; its lot id is the commitment id that the cost and
// usage rows name in ContractApplied, and the purchase's ledger row is the contract.
import type { PurchaseCommitment } from "../../store/credit-lots.js";
import { toCommitmentRow, type FocusRow } from "./columns.js";
import { purchaseTerm } from "./ledger-rows.js";
import { focusTime, type FocusContext } from "./row-parts.js";

export function commitmentRow(ctx: FocusContext, purchase: PurchaseCommitment): FocusRow {
  const [start, end] = purchaseTerm({ occurredAt: purchase.createdAt, expiresAt: purchase.expiresAt }).map(focusTime) as [string, string];
  return toCommitmentRow({
    BillingCurrency: "USD",
    ContractCommitmentCategory: "Spend",
    ContractCommitmentCost: purchase.costUsd.toFixed(),
    ContractCommitmentDescription: purchase.description,
    ContractCommitmentId: purchase.lotId.toString(),
    ContractCommitmentPeriodStart: start,
    ContractCommitmentPeriodEnd: end,
    ContractCommitmentQuantity: purchase.credits.toFixed(),
    ContractCommitmentType: "Prepaid Credits",
    ContractCommitmentUnit: "Credits",
    ContractId: purchase.transactionId.toString(),
    // One purchase, one contract: its term is the commitment's.
    ContractPeriodStart: start,
    ContractPeriodEnd: end,
    x_BillingAccountId: ctx.organization.id,
    x_InvoiceIssuerName: ctx.providerName,
    x_PricingCurrency: "Credits",
    x_SubAccountId: ctx.workspace.id,
  });
}
