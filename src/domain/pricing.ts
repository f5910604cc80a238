// What one metered charge costs: list value in USD, credits debited, and the amount in the
// currency the charge is denominated in. Shared by ingestion and the data generators.
import { Prisma, type UsageCurrency } from "../db/generated/client.js";

type Decimal = Prisma.Decimal;

export interface SkuPrice {
  listPriceUsd: Decimal | string;
  creditsPerUnit: Decimal | string;
}

export interface UsagePrice {
  pricePerUnitUsd: Decimal;
  costUsd: Decimal;
  credits: Decimal;
  amount: Decimal;
}

/** One VCU buys $0.10 of compute; one DIEM buys $1 a day; bundled credits and credits count credits. */
export function priceUsage(sku: SkuPrice, units: Decimal, currency: UsageCurrency): UsagePrice {
  const pricePerUnitUsd = Prisma.Decimal.isDecimal(sku.listPriceUsd) ? sku.listPriceUsd : new Prisma.Decimal(sku.listPriceUsd); // decimals never change
  const costUsd = units.mul(pricePerUnitUsd).toDecimalPlaces(8);
  const credits = units.mul(sku.creditsPerUnit).toDecimalPlaces(6);
  const amount =
    currency === "VCU" ? costUsd.mul(10) : currency === "BUNDLED_CREDITS" || currency === "CREDITS" ? credits : costUsd;
  return { pricePerUnitUsd, costUsd, credits, amount };
}

/**
 * One charge may cost at most $1 billion and a billion credits: far beyond any real charge, and
 * small enough that a day's totals still fit the aggregate columns.
 */
export const MAX_CHARGE = new Prisma.Decimal("1e9");
const MAX_AMOUNT = MAX_CHARGE.mul(10); // in VCU, a tenth of a dollar each

/** Why a priced charge cannot be stored, or null. */
export function chargeProblem(price: UsagePrice): string | null {
  if (price.costUsd.gte(MAX_CHARGE) || price.amount.gte(MAX_AMOUNT) || price.credits.gte(MAX_CHARGE)) {
    return "is too large: one charge may cost at most 1,000,000,000 USD or credits";
  }
  return null;
}
