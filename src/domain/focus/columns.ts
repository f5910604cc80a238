// The columns of the two FOCUS 1.3 datasets, in file order: the FOCUS columns this data triggers
// (alphabetical), then the custom x_ columns. docs/focus-mapping.md explains each choice.

export type FocusDataType = "STRING" | "DECIMAL" | "DATETIME" | "JSON";

export interface FocusColumn {
  name: string;
  dataType: FocusDataType;
  stringMaxLength?: number;
  numericPrecision?: number;
  numberScale?: number;
  deprecated?: boolean;
  providerTagPrefixes?: string[];
}

/** Provider-defined tag keys start with this prefix (declared in the schema metadata). */
export const PROVIDER_TAG_PREFIX = "bg/";

type Named<N extends string> = FocusColumn & { name: N };

const s = <N extends string>(name: N, stringMaxLength = 200): Named<N> => ({ name, dataType: "STRING", stringMaxLength });
// The scale is the most decimal places any row can carry: stored scales add up under multiplication
// (units 6 × price 10, credits 6 × credit price 10), and exact products are never rounded.
const d = <N extends string>(name: N, numberScale: number): Named<N> => ({ name, dataType: "DECIMAL", numericPrecision: 38, numberScale });
const t = <N extends string>(name: N): Named<N> => ({ name, dataType: "DATETIME" });
const j = <N extends string>(name: N, extra: Partial<FocusColumn> = {}): Named<N> => ({ ...extra, name, dataType: "JSON" });

export const FOCUS_COLUMNS = [
  d("BilledCost", 8), s("BillingAccountId", 36), s("BillingAccountName"), s("BillingAccountType", 50), s("BillingCurrency", 3),
  t("BillingPeriodEnd"), t("BillingPeriodStart"), s("ChargeCategory", 20), s("ChargeClass", 20), s("ChargeDescription", 500),
  s("ChargeFrequency", 20), t("ChargePeriodEnd"), t("ChargePeriodStart"), d("ConsumedQuantity", 6), s("ConsumedUnit", 50),
  j("ContractApplied"), d("ContractedCost", 26), d("ContractedUnitPrice", 20), d("EffectiveCost", 8), s("HostProviderName"), s("InvoiceIssuerName"),
  d("ListCost", 16), d("ListUnitPrice", 16), s("PricingCategory", 20), s("PricingCurrency", 20), d("PricingCurrencyContractedUnitPrice", 10),
  d("PricingCurrencyEffectiveCost", 6), d("PricingCurrencyListUnitPrice", 10), d("PricingQuantity", 6), s("PricingUnit", 50),
  { ...s("ProviderName"), deprecated: true }, { ...s("PublisherName"), deprecated: true }, s("ResourceId"), s("ResourceName"),
  s("ResourceType", 50), s("ServiceCategory", 50), s("ServiceName", 100), s("ServiceProviderName"), s("ServiceSubcategory", 100),
  s("SkuId", 100), s("SkuMeter", 100), j("SkuPriceDetails"), s("SkuPriceId", 120), s("SubAccountId", 36), s("SubAccountName"),
  s("SubAccountType", 50), j("Tags", { providerTagPrefixes: [PROVIDER_TAG_PREFIX] }),
  d("x_Credits", 6), s("x_CreditTransactionId", 20), s("x_CreditTransactionType", 20), s("x_UsageRecordId", 20), s("x_ExecutionId", 20),
  s("x_ApiKeyId", 36), s("x_ExternalUserId"), s("x_ExternalProjectId"), s("x_Model"),
] as const satisfies readonly FocusColumn[];

export type FocusColumnName = (typeof FOCUS_COLUMNS)[number]["name"];

/** The Contract Commitment dataset: its 13 mandatory columns, then what joins it to accounts and names the issuer. */
export const COMMITMENT_COLUMNS = [
  s("BillingCurrency", 3), s("ContractCommitmentCategory", 20), d("ContractCommitmentCost", 8), s("ContractCommitmentDescription", 500),
  s("ContractCommitmentId", 20), t("ContractCommitmentPeriodEnd"), t("ContractCommitmentPeriodStart"), d("ContractCommitmentQuantity", 6),
  s("ContractCommitmentType", 50), s("ContractCommitmentUnit", 50), s("ContractId", 20), t("ContractPeriodEnd"), t("ContractPeriodStart"),
  s("x_BillingAccountId", 36), s("x_InvoiceIssuerName"), s("x_PricingCurrency", 20), s("x_SubAccountId", 36),
] as const satisfies readonly FocusColumn[];

export type CommitmentColumnName = (typeof COMMITMENT_COLUMNS)[number]["name"];

/** A row: one value per column in FOCUS_COLUMNS order; decimals as exact decimal text, JSON as serialized text. */
export type FocusRow = (string | null)[];

/** The same row by column name, for mappings that are easier to read than to index. */
export type FocusRecord = Record<FocusColumnName, string | null>;

/** Position of each column in a row. */
export const COLUMN = Object.fromEntries(FOCUS_COLUMNS.map((column, index) => [column.name, index])) as Record<FocusColumnName, number>;

/** The record as a row; empty text becomes null, which FOCUS requires instead of "". */
export function toRow(record: FocusRecord): FocusRow {
  return FOCUS_COLUMNS.map((column) => record[column.name] || null);
}

export function toCommitmentRow(record: Record<CommitmentColumnName, string | null>): FocusRow {
  return COMMITMENT_COLUMNS.map((column) => record[column.name] || null);
}
