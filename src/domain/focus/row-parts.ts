// What every FOCUS row of a workspace shares: its accounts and providers, its periods, and the
// price columns that rows without a SKU price leave null.
import type { Organization, Workspace } from "../../db/generated/client.js";
import { readLotDraws } from "../credit-lots.js";

export const HOUR_MS = 3_600_000;

export interface FocusContext {
  workspace: Workspace;
  organization: Organization;
  providerName: string;
  /** Purchase lots by id, with the purchase (ledger row) that is their contract; ids as text. */
  contracts: Map<string, string>;
}

/** FOCUS date-times: UTC, whole seconds, no fraction. */
export function focusTime(date: Date | number): string {
  return `${new Date(date).toISOString().slice(0, 19)}Z`;
}

function utcMonth(at: Date | number): [string, string] {
  const date = new Date(at);
  return [focusTime(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)), focusTime(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1))];
}

export const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;

/** Columns that are the same on every row of a workspace: accounts, providers, currencies. */
export function accountColumns(ctx: FocusContext) {
  return {
    BillingAccountId: ctx.organization.id,
    BillingAccountName: ctx.organization.name,
    BillingAccountType: "Organization",
    BillingCurrency: "USD",
    HostProviderName: ctx.providerName,
    InvoiceIssuerName: ctx.providerName,
    ProviderName: ctx.providerName,
    PublisherName: ctx.providerName,
    ServiceProviderName: ctx.providerName,
    PricingCurrency: "Credits",
    SubAccountId: ctx.workspace.id,
    SubAccountName: ctx.workspace.name,
    SubAccountType: "Workspace",
    ChargeClass: null, // rows are never corrections of a closed (invoiced) billing period
  };
}

export function periodColumns(billingAt: Date | number, chargeStart: Date | number, chargeEnd: Date | number) {
  const [billingStart, billingEnd] = utcMonth(billingAt);
  return { BillingPeriodStart: billingStart, BillingPeriodEnd: billingEnd, ChargePeriodStart: focusTime(chargeStart), ChargePeriodEnd: focusTime(chargeEnd) };
}

/** Price and resource columns of rows that have no SKU price: set back where a row kind has them. */
export const NO_PRICE = {
  ConsumedQuantity: null, ConsumedUnit: null, ContractedUnitPrice: null, ListUnitPrice: null, PricingCategory: null,
  PricingCurrencyContractedUnitPrice: null, PricingCurrencyListUnitPrice: null, PricingQuantity: null, PricingUnit: null,
  ResourceId: null, ResourceName: null, ResourceType: null, SkuId: null, SkuMeter: null, SkuPriceDetails: null, SkuPriceId: null,
  Tags: null, x_UsageRecordId: null, x_ExecutionId: null, x_ApiKeyId: null, x_ExternalUserId: null, x_ExternalProjectId: null, x_Model: null,
};

/**
 * ContractApplied of a ledger row from its lotDraws (domain/credit-lots.ts writes and reads them): the
 * purchase lots it drew from, each a commitment of its purchase's contract; grants are no contract.
 * FOCUS 1.3's JSON object format, with the key casing of the spec's table and examples (ContractID,
 * ContractCommitmentID); decimals written from their exact text. Null when no purchase paid.
 */
export function contractApplied(ctx: FocusContext, lotDraws: string | null): string | null {
  if (lotDraws === null) return null;
  const elements: string[] = [];
  for (const [lot, credits, costUsd] of readLotDraws(lotDraws)) {
    const contract = ctx.contracts.get(lot);
    if (contract === undefined) continue;
    elements.push(`{"ContractID":"${contract}","ContractCommitmentID":"${lot}","ContractCommitmentAppliedCost":${costUsd},` +
      `"ContractCommitmentAppliedQuantity":${credits},"ContractCommitmentAppliedUnit":"Credits"}`);
  }
  return elements.length ? `{"Elements":[${elements.join(",")}]}` : null;
}
