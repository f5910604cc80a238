// Ledger rows that are not metered usage (purchases, grants, refunds, adjustments, expirations,
// executions charged in credits) as FOCUS rows, following the spec's prepaid-credits example. Costs
// come from the lots: a row's EffectiveCost is what the credits it took (or returned) had cost.
import { Prisma, type CreditTransaction } from "../../db/generated/client.js";
import { PURCHASE_TERM_DAYS } from "../../store/credit-lots.js";
import { quotient } from "../rules/numbers.js";
import { toRow, type FocusRow } from "./columns.js";
import { accountColumns, contractApplied, floorTo, HOUR_MS, NO_PRICE, periodColumns, type FocusContext } from "./row-parts.js";

const TERM_MS = PURCHASE_TERM_DAYS * 86_400_000;

/** A purchase's validity: from when it was bought to its expiry, or a term later. */
export function purchaseTerm(row: { occurredAt: Date; expiresAt: Date | null }): [number, number] {
  return [floorTo(row.occurredAt.getTime(), 1000), row.expiresAt?.getTime() ?? row.occurredAt.getTime() + TERM_MS];
}

/** A ledger row that is not a metered charge: purchases, grants, refunds, adjustments, expirations, execution charges. */
export function ledgerRow(ctx: FocusContext, row: CreditTransaction): FocusRow {
  const zero = "0";
  const at = row.occurredAt;
  const validity = periodColumns(at, ...purchaseTerm(row));
  const cost = row.costUsd.toFixed();
  const common = {
    ...accountColumns(ctx),
    ...NO_PRICE,
    ChargeDescription: row.description,
    ChargeFrequency: "One-Time",
    ServiceName: "Credits",
    ServiceCategory: "Other",
    ServiceSubcategory: "Other (Other)",
    PricingCurrencyEffectiveCost: zero,
    x_Credits: row.amount.toFixed(),
    x_CreditTransactionId: row.id.toString(),
    x_CreditTransactionType: row.type.toLowerCase(),
    x_ExecutionId: row.executionId?.toString() ?? null,
    ContractApplied: contractApplied(ctx, row.lotDraws),
  };
  switch (row.type) {
    case "PURCHASE": {
      const money = row.moneyAmount ?? new Prisma.Decimal(0);
      const creditPrice = ctx.workspace.creditPriceUsd;
      return toRow({
        ...common,
        ...validity,
        ChargeCategory: "Purchase",
        BilledCost: money.toFixed(),
        EffectiveCost: zero, // prepaid: the usage rows carry the amortized cost
        ListUnitPrice: creditPrice.toFixed(),
        ListCost: creditPrice.mul(row.amount).toFixed(),
        // What was paid per credit, at the column's published scale; ContractedCost is the exact amount paid.
        ContractedUnitPrice: row.amount.isZero() ? zero : quotient(money, row.amount, 20).toFixed(),
        ContractedCost: money.toFixed(),
        PricingCategory: "Standard",
        PricingQuantity: row.amount.toFixed(),
        PricingUnit: "Credits",
        PricingCurrencyListUnitPrice: "1",
        PricingCurrencyContractedUnitPrice: "1",
        SkuId: "credits",
        SkuPriceId: "credits@usd",
        SkuMeter: "Credits",
      });
    }
    case "USAGE": {
      // A workflow execution charged in credits: one execution at its list price, costing what its credits had cost.
      const credits = row.amount.neg().toFixed();
      const money = row.amount.neg().mul(ctx.workspace.creditPriceUsd).toFixed();
      return toRow({
        ...common,
        ...periodColumns(at, floorTo(at.getTime(), HOUR_MS), floorTo(at.getTime(), HOUR_MS) + HOUR_MS),
        ChargeCategory: "Usage",
        ChargeFrequency: "Usage-Based",
        ServiceName: "Workflow executions",
        ServiceCategory: "Integration",
        ServiceSubcategory: "Workflow Orchestration",
        BilledCost: zero,
        EffectiveCost: cost,
        ListCost: money,
        ContractedCost: money,
        ListUnitPrice: money,
        ContractedUnitPrice: money,
        PricingCategory: "Standard",
        PricingQuantity: "1",
        PricingUnit: "Executions",
        ConsumedQuantity: "1",
        ConsumedUnit: "Executions",
        PricingCurrencyEffectiveCost: credits,
        PricingCurrencyListUnitPrice: credits,
        PricingCurrencyContractedUnitPrice: credits,
        SkuId: "workflow-execution",
        SkuPriceId: "workflow-execution@credits",
        SkuMeter: "Executions",
      });
    }
    default: {
      // No money moves. Grants, goodwill and refunds of free credits are allowances the provider
      // grants (Credit, every cost 0 = BilledCost). Expirations, negative adjustments and refunds of
      // bought credits change what the bought credits are worth: Adjustment, with the cost of the
      // credits they took as EffectiveCost (negative for a refund, which gives cost back).
      const allowance = row.type === "GRANT" || (row.type === "REFUND" && row.costUsd.isZero());
      return toRow({
        ...common,
        ...(row.type === "GRANT" ? validity : periodColumns(at, floorTo(at.getTime(), 1000), floorTo(at.getTime(), 1000) + 1000)),
        ChargeCategory: allowance ? "Credit" : "Adjustment",
        BilledCost: zero,
        EffectiveCost: allowance ? zero : cost,
        ListCost: zero,
        ContractedCost: zero,
      });
    }
  }
}
