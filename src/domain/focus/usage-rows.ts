// Usage records as FOCUS rows: PostgreSQL reads them with the exact products of their prices and the
// cost their credits had (from the lots); each row starts from its SKU's template and takes the
// values of its record. This is the hot path of a
// million-row export, so rows are arrays and period strings are made once an hour.
import type { Sku } from "../../db/generated/client.js";
import { FOCUS_USAGE as U, type FocusUsageRow } from "../../store/usage-records.js";
import { COLUMN, PROVIDER_TAG_PREFIX, toRow, type FocusRecord, type FocusRow } from "./columns.js";
import { accountColumns, contractApplied, floorTo, HOUR_MS, NO_PRICE, periodColumns, type FocusContext } from "./row-parts.js";

/** A SKU's usage row with everything that does not vary per record already filled in. */
function usageTemplate(ctx: FocusContext, sku: Sku): FocusRow {
  const creditsPerUnit = sku.creditsPerUnit.toFixed();
  const listPrice = sku.listPriceUsd.toFixed();
  const perRecord = null; // filled in by usageMapper
  return toRow({
    ...accountColumns(ctx),
    ...NO_PRICE,
    BillingPeriodStart: perRecord, BillingPeriodEnd: perRecord, ChargePeriodStart: perRecord, ChargePeriodEnd: perRecord,
    ChargeCategory: "Usage",
    ChargeFrequency: "Usage-Based",
    ChargeDescription: perRecord,
    BilledCost: "0", // paid for by credits bought earlier
    EffectiveCost: perRecord, // what the credits drawn had cost, from the lots
    ContractApplied: perRecord,
    ListCost: perRecord,
    ContractedCost: perRecord,
    ListUnitPrice: listPrice,
    ContractedUnitPrice: sku.creditsPerUnit.mul(ctx.workspace.creditPriceUsd).toFixed(),
    PricingCategory: "Standard",
    PricingQuantity: perRecord,
    PricingUnit: sku.unit,
    ConsumedQuantity: perRecord,
    ConsumedUnit: sku.unit,
    PricingCurrencyListUnitPrice: creditsPerUnit,
    PricingCurrencyContractedUnitPrice: creditsPerUnit,
    PricingCurrencyEffectiveCost: perRecord,
    ServiceName: sku.serviceName,
    ServiceCategory: sku.serviceCategory,
    ServiceSubcategory: sku.serviceSubcategory,
    SkuId: sku.id,
    SkuPriceId: `${sku.id}@list`,
    SkuMeter: sku.meter,
    // Exact decimal text as JSON numbers: JSON.stringify of a float could round the price.
    SkuPriceDetails: `{"x_CreditsPerUnit":${creditsPerUnit},"x_ListPriceUsd":${listPrice}}`,
    x_Credits: perRecord,
    x_CreditTransactionId: null,
    x_CreditTransactionType: "usage",
  } satisfies FocusRecord);
}

/**
 * Tags of a record; the few combinations of model, user and project repeat, so each is serialized
 * once. Looked up by model, then user, then project: a key string built for each row was about 3%
 * of a CSV export's CPU.
 */
function usageTags() {
  const seen = new Map<string | null, Map<string | null, Map<string | null, string | null>>>();
  let size = 0;
  return (model: string | null, externalUserId: string | null, externalProjectId: string | null): string | null => {
    let byUser = seen.get(model);
    if (byUser === undefined) seen.set(model, (byUser = new Map()));
    let byProject = byUser.get(externalUserId);
    if (byProject === undefined) byUser.set(externalUserId, (byProject = new Map()));
    let tags = byProject.get(externalProjectId);
    if (tags === undefined) {
      const entries = Object.entries({ model, externalUserId, externalProjectId }).filter(([, value]) => value !== null);
      tags = entries.length ? JSON.stringify(Object.fromEntries(entries.map(([name, value]) => [PROVIDER_TAG_PREFIX + name, value]))) : null;
      // Bounded: many distinct users only cost the serialization.
      if (++size > 10_000) {
        seen.clear();
        size = 0;
      }
      byProject.set(externalProjectId, tags);
    }
    return tags;
  };
}

/** Maps usage rows to FOCUS rows; rows arrive in time order, so period strings are made once an hour. */
export function usageMapper(ctx: FocusContext, skus: Sku[]) {
  const templates = new Map(skus.map((sku) => [sku.id, { row: usageTemplate(ctx, sku), name: sku.name, unit: sku.unit }]));
  const tagsOf = usageTags();
  let hour = Number.NaN;
  let periods = periodColumns(0, 0, 0);
  return (r: FocusUsageRow): FocusRow => {
    const sku = templates.get(r[U.skuId]!)!;
    const row = sku.row.slice();
    const atHour = floorTo(Number(r[U.atMs]), HOUR_MS);
    if (atHour !== hour) {
      hour = atHour;
      periods = periodColumns(atHour, atHour, atHour + HOUR_MS);
    }
    row[COLUMN.BillingPeriodStart] = periods.BillingPeriodStart;
    row[COLUMN.BillingPeriodEnd] = periods.BillingPeriodEnd;
    row[COLUMN.ChargePeriodStart] = periods.ChargePeriodStart;
    row[COLUMN.ChargePeriodEnd] = periods.ChargePeriodEnd;
    row[COLUMN.ChargeDescription] = `${sku.name}: ${r[U.units]} ${sku.unit}`;
    row[COLUMN.EffectiveCost] = r[U.effectiveCost]!;
    row[COLUMN.ListCost] = r[U.listCost]!;
    row[COLUMN.ContractedCost] = r[U.contractedCost]!;
    row[COLUMN.PricingQuantity] = r[U.units]!;
    row[COLUMN.ConsumedQuantity] = r[U.units]!;
    row[COLUMN.PricingCurrencyEffectiveCost] = r[U.credits]!;
    row[COLUMN.x_Credits] = r[U.negatedCredits]!;
    row[COLUMN.ResourceId] = r[U.resourceId]!;
    row[COLUMN.ResourceType] = r[U.resourceKind]!;
    row[COLUMN.Tags] = tagsOf(r[U.model]!, r[U.externalUserId]!, r[U.externalProjectId]!);
    row[COLUMN.x_UsageRecordId] = r[U.id]!;
    row[COLUMN.x_ApiKeyId] = r[U.apiKeyId]!;
    row[COLUMN.x_ExternalUserId] = r[U.externalUserId]!;
    row[COLUMN.x_ExternalProjectId] = r[U.externalProjectId]!;
    row[COLUMN.x_Model] = r[U.model]!;
    row[COLUMN.ContractApplied] = contractApplied(ctx, r[U.lotDraws]!);
    return row;
  };
}
