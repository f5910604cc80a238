import { PERIODS } from "../../domain/rules/windows.js";
import { GRANULARITIES } from "../../domain/time.js";
import { ROLLUP_DIMENSIONS } from "../../domain/usage-rollup.js";
import { RESOURCE_KINDS, USAGE_CURRENCIES } from "../../domain/usage.js";
import { builder } from "../builder.js";

export const UsageCurrencyEnum = builder.enumType("UsageCurrency", { values: USAGE_CURRENCIES });
export const ResourceKindEnum = builder.enumType("ResourceKind", { values: RESOURCE_KINDS });
export const CreditTransactionTypeEnum = builder.enumType("CreditTransactionType", {
  values: ["GRANT", "PURCHASE", "USAGE", "REFUND", "ADJUSTMENT", "EXPIRATION"] as const,
});
export const CreditLotSourceEnum = builder.enumType("CreditLotSource", { values: ["GRANT", "PURCHASE", "REFUND", "ADJUSTMENT"] as const });
export const CreditLotStateEnum = builder.enumType("CreditLotState", {
  description: "ACTIVE: credits left and not expired; EXHAUSTED: all given; EXPIRED: past its expiry (its remainder no longer counts).",
  values: ["ACTIVE", "EXHAUSTED", "EXPIRED"] as const,
});
export const PeriodEnum = builder.enumType("Period", {
  description: "Preset windows, ending now; months are calendar months in the time zone asked for.",
  values: PERIODS,
});
export const GranularityEnum = builder.enumType("Granularity", {
  description: "Calendar buckets in the requested time zone (weeks start on Monday); ALL is one bucket.",
  values: GRANULARITIES,
});
export const RollupDimensionEnum = builder.enumType("RollupDimension", { values: ROLLUP_DIMENSIONS });
export const SortOrderEnum = builder.enumType("SortOrder", { values: ["NEWEST_FIRST", "OLDEST_FIRST"] as const });
