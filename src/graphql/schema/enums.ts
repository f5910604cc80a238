import { PERIODS, type Period } from "../../domain/rules/windows.js";
import { GRANULARITIES, type Granularity } from "../../domain/time.js";
import { ROLLUP_DIMENSIONS, type RollupDimension } from "../../domain/usage-rollup.js";
import { RESOURCE_KINDS, USAGE_CURRENCIES } from "../../domain/usage.js";
import { builder } from "../builder.js";

/** Enum values, each with its description, in the order of the domain's list. */
const described = <V extends string>(values: readonly V[], descriptions: Record<V, string>) =>
  Object.fromEntries(values.map((value) => [value, { description: descriptions[value] }])) as Record<V, { description: string }>;

export const UsageCurrencyEnum = builder.enumType("UsageCurrency", {
  description: "The currency a usage charge's amount is stated in; credits are debited the same whichever it is.",
  values: described(USAGE_CURRENCIES, {
    USD: "US dollars: amount equals costUsd.",
    VCU: "VCUs, each worth $0.10: amount is costUsd × 10.",
    DIEM: "DIEM, each worth $1 of usage a day: amount equals costUsd.",
    BUNDLED_CREDITS: "Credits of a bundle: amount equals the credits debited.",
    CREDITS: "Credits: amount equals the credits debited.",
  }),
});
export const ResourceKindEnum = builder.enumType("ResourceKind", {
  description: "What kind of resource a charge is for.",
  values: described(RESOURCE_KINDS, {
    SANDBOX: "Sandboxes (containers).",
    COMPUTER: "Computers (virtual machines).",
    STORAGE: "Storage.",
    INFERENCE: "Model inference: tokens, embeddings, images.",
  }),
});
export const CreditTransactionTypeEnum = builder.enumType("CreditTransactionType", {
  description: "What a ledger row does to the balance.",
  values: {
    GRANT: { description: "Free credits added by grantCredits." },
    PURCHASE: { description: "Credits bought with money (purchaseCredits)." },
    USAGE: { description: "Credits debited for a usage record or for an execution recorded with chargeCredits." },
    REFUND: { description: "Credits of a debit given back by refundCredits." },
    ADJUSTMENT: { description: "A correction by adjustCredits, up (goodwill, free credits) or down." },
    EXPIRATION: { description: "The credits a lot still held at its expiry, removed by the gateway itself." },
  } as const,
});
export const CreditLotSourceEnum = builder.enumType("CreditLotSource", {
  description: "What created a credit lot, which also says what its credits cost.",
  values: {
    GRANT: { description: "A grant; its credits are free." },
    PURCHASE: { description: "A purchase; its credits cost the money paid." },
    REFUND: { description: "A refund; its credits cost what the returned credits had cost (free ones nothing)." },
    ADJUSTMENT: { description: "A positive adjustment (goodwill); its credits are free." },
  } as const,
});
export const CreditLotStateEnum = builder.enumType("CreditLotState", {
  description: "ACTIVE: credits left and not expired; EXHAUSTED: all given; EXPIRED: past its expiry (its remainder no longer counts).",
  values: {
    ACTIVE: { description: "Has credits left and has not reached its expiry: they count in the balance and pay for debits." },
    EXHAUSTED: { description: "Every credit of the lot has been drawn." },
    EXPIRED: { description: "Past its expiry: what it still held no longer counts, whether or not its EXPIRATION row is posted yet." },
  } as const,
});
export const PeriodEnum = builder.enumType("Period", {
  description: "Preset windows, ending now; months are calendar months in the time zone asked for.",
  values: described<Period>(PERIODS, {
    LAST_24_HOURS: "The 24 hours before now.",
    LAST_7_DAYS: "From the same local time 7 days ago until now.",
    LAST_30_DAYS: "From the same local time 30 days ago until now.",
    MONTH_TO_DATE: "From the start of the current calendar month until now.",
    LAST_MONTH: "The whole previous calendar month (it ends where this month starts, not now).",
  }),
});
export const GranularityEnum = builder.enumType("Granularity", {
  description: "Calendar buckets in the requested time zone (weeks start on Monday); ALL is one bucket.",
  values: described<Granularity>(GRANULARITIES, {
    HOUR: "Hours; the window may span at most 31 days.",
    DAY: "Calendar days.",
    WEEK: "Weeks from Monday.",
    MONTH: "Calendar months.",
    QUARTER: "Calendar quarters (January, April, July, October).",
    ALL: "One bucket for the whole window.",
  }),
});
export const RollupDimensionEnum = builder.enumType("RollupDimension", {
  description: "What a rollup can group by. WORKFLOW and TRIGGER group executions; executions group only by those, MODEL and WORKSPACE.",
  values: described<RollupDimension>(ROLLUP_DIMENSIONS, {
    MODEL: "The model of the usage record or execution.",
    SKU: "The SKU charged (usage only).",
    API_KEY: "The API key that recorded the usage (usage only).",
    WORKFLOW: "The workflow of the execution (executions only).",
    EXTERNAL_USER: "The externalUserId sent with the usage (usage only).",
    EXTERNAL_PROJECT: "The externalProjectId sent with the usage (usage only).",
    WORKSPACE: "The workspace (one value, as a rollup reads one workspace).",
    CURRENCY: "The currency of the usage record (usage only).",
    RESOURCE_KIND: "The resource kind of the usage record (usage only).",
    TRIGGER: "What started the execution (executions only).",
  }),
});
export const SortOrderEnum = builder.enumType("SortOrder", {
  description: "The order of a listing: by time, or for the ledger by posting order.",
  values: {
    NEWEST_FIRST: { description: "Latest first (the default)." },
    OLDEST_FIRST: { description: "Earliest first." },
  } as const,
});
