// The conformance checker must catch what it claims to: a small conformant dataset passes in
// both formats, and each broken variant of it is reported under the rule it breaks.
import { describe, expect, it } from "vitest";
import { checkContractApplied, checkFocusFile, readCsv, readJsonl, type CheckOptions } from "./focus-checker.js";

type Row = Record<string, string | null>;

const DECIMALS = new Set(["BilledCost", "ConsumedQuantity", "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "ListCost", "ListUnitPrice",
  "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice", "PricingQuantity", "x_Credits"]);

const usage: Row = {
  BilledCost: "0", BillingAccountId: "org-1", BillingAccountName: "Acme", BillingAccountType: "Organization", BillingCurrency: "USD",
  BillingPeriodEnd: "2026-02-01T00:00:00Z", BillingPeriodStart: "2026-01-01T00:00:00Z", ChargeCategory: "Usage", ChargeClass: null,
  ChargeDescription: "gpt input tokens: 2 1000 Tokens", ChargeFrequency: "Usage-Based", ChargePeriodEnd: "2026-01-05T11:00:00Z",
  ChargePeriodStart: "2026-01-05T10:00:00Z", ConsumedQuantity: "2", ConsumedUnit: "1000 Tokens", ContractedCost: "0.006",
  ContractedUnitPrice: "0.003", EffectiveCost: "0.006", HostProviderName: "Gateway", InvoiceIssuerName: "Gateway", ListCost: "0.006",
  ListUnitPrice: "0.003", PricingCategory: "Standard", PricingCurrency: "Credits", PricingCurrencyContractedUnitPrice: "0.3",
  PricingCurrencyEffectiveCost: "0.6", PricingCurrencyListUnitPrice: "0.3", PricingQuantity: "2", PricingUnit: "1000 Tokens",
  ProviderName: "Gateway", PublisherName: "Gateway", ResourceId: "sbx-1", ResourceName: null, ResourceType: "sandbox",
  ServiceCategory: "AI and Machine Learning", ServiceName: "Inference API", ServiceProviderName: "Gateway", ServiceSubcategory: "Generative AI",
  SkuId: "llm-in", SkuMeter: "Input Tokens", SkuPriceDetails: '{"x_CreditsPerUnit":0.3}', SkuPriceId: "llm-in@list", SubAccountId: "ws-1",
  SubAccountName: "Prod", SubAccountType: "Workspace", Tags: '{"bg/model":"gpt","team":"web","flag":true}', x_Credits: "-0.6",
};
const noPrice = {
  ConsumedQuantity: null, ConsumedUnit: null, ContractedUnitPrice: null, ListUnitPrice: null, PricingCategory: null,
  PricingCurrencyContractedUnitPrice: null, PricingCurrencyListUnitPrice: null, PricingQuantity: null, PricingUnit: null, ResourceId: null,
  ResourceType: null, SkuId: null, SkuMeter: null, SkuPriceDetails: null, SkuPriceId: null, Tags: null,
};
const purchase: Row = {
  ...usage, ...noPrice, ChargeCategory: "Purchase", ChargeFrequency: "One-Time", ChargeDescription: "5000 credits",
  ChargePeriodStart: "2026-01-05T10:00:00Z", ChargePeriodEnd: "2027-01-05T10:00:00Z", BilledCost: "45.5", EffectiveCost: "0",
  ListUnitPrice: "0.01", ListCost: "50", ContractedUnitPrice: "0.0091", ContractedCost: "45.5", PricingCategory: "Standard",
  PricingQuantity: "5000", PricingUnit: "Credits", PricingCurrencyEffectiveCost: "0", PricingCurrencyListUnitPrice: "1",
  PricingCurrencyContractedUnitPrice: "1", SkuId: "credits", SkuPriceId: "credits@usd", SkuMeter: "Credits",
  ServiceCategory: "Other", ServiceSubcategory: "Other (Other)", ServiceName: "Credits", x_Credits: "5000",
};
const credit: Row = {
  ...purchase, ...noPrice, ChargeCategory: "Credit", ChargeDescription: "Welcome credits", BilledCost: "0", EffectiveCost: "0",
  ListCost: "0", ContractedCost: "0", x_Credits: "1000",
};
const ROWS = [usage, purchase, credit];
const OPTIONS: CheckOptions = {
  capabilities: ["BILLING_ACCOUNT_TYPES", "VIRTUAL_CURRENCY", "UNIT_PRICING", "NEGOTIATED_PRICING", "USAGE_MEASUREMENT", "SUB_ACCOUNTS", "RESOURCES", "TAGGING"],
};

function jsonl(rows: Row[]): string {
  const value = (k: string, v: string | null) => (v === null ? "null" : DECIMALS.has(k) && /^-?\d+(\.\d+)?$/.test(v) ? v : JSON.stringify(v));
  return rows.map((row) => `{${Object.entries(row).map(([k, v]) => `${JSON.stringify(k)}:${value(k, v)}`).join(",")}}\n`).join("");
}

function csv(rows: Row[]): string {
  const field = (v: string | null) => (v === null ? "" : /[",\r\n]/.test(v) || v === "" ? `"${v.replaceAll('"', '""')}"` : v);
  return [Object.keys(rows[0]!), ...rows.map((row) => Object.values(row))].map((values) => values.map(field).join(",")).join("\r\n");
}

const rulesOf = (text: string, format: "csv" | "jsonl", options = OPTIONS) =>
  checkFocusFile(format === "csv" ? readCsv(text) : readJsonl(text), options).map((v) => v.rule);

/** The rows with one change applied to the row of the given kind (0 usage, 1 purchase, 2 credit). */
function broken(kind: number, change: (row: Row) => Row): Row[] {
  return ROWS.map((row, i) => (i === kind ? change({ ...row }) : row));
}

function without(row: Row, column: string): Row {
  const { [column]: _removed, ...rest } = row;
  return rest;
}

describe("FOCUS conformance checker", () => {
  it("passes the conformant dataset in both formats", () => {
    expect(checkFocusFile(readJsonl(jsonl(ROWS)), OPTIONS)).toEqual([]);
    expect(checkFocusFile(readCsv(csv(ROWS)), OPTIONS)).toEqual([]);
  });

  const cases: [string, Row[], string][] = [
    ["a missing Mandatory column", ROWS.map((r) => without(r, "BilledCost")), "ColumnPresence.Mandatory"],
    ["a missing triggered Conditional column", ROWS.map((r) => without(r, "PricingCurrencyListUnitPrice")), "ColumnPresence.Conditional"],
    ["an unknown column without x_", ROWS.map((r) => ({ ...r, Credits: "1" })), "ColumnHandling.UnknownColumn"],
    ["a custom column among FOCUS columns", ROWS.map((r) => ({ x_First: "1", ...r })), "ColumnHandling.CustomColumnsAfterFocusColumns"],
    ["a value outside ChargeCategory", broken(0, (r) => ({ ...r, ChargeCategory: "usage" })), "ChargeCategory.AllowedValues"],
    ["a ChargeClass other than Correction", broken(0, (r) => ({ ...r, ChargeClass: "Refund" })), "ChargeClass.AllowedValues"],
    ["a thousands separator", broken(1, (r) => ({ ...r, BilledCost: "1,045.5" })), "Format.NumericFormat"],
    ["a date-time with an offset", broken(0, (r) => ({ ...r, ChargePeriodStart: "2026-01-05T10:00:00+01:00" })), "Format.DateTimeFormat"],
    ["an impossible date", broken(0, (r) => ({ ...r, BillingPeriodEnd: "2026-02-30T00:00:00Z" })), "Format.DateTimeFormat"],
    ["a virtual BillingCurrency", broken(0, (r) => ({ ...r, BillingCurrency: "Credits" })), "BillingCurrency.NationalIso4217"],
    ["a made-up three-letter PricingCurrency", broken(0, (r) => ({ ...r, PricingCurrency: "CRD" })), "PricingCurrency.Iso4217OrVirtual"],
    ["a subcategory of another category", broken(0, (r) => ({ ...r, ServiceCategory: "Compute" })), "ServiceSubcategory.UnderItsCategory"],
    ["a null in a not-null column", broken(0, (r) => ({ ...r, ServiceName: null })), "Nullability.NotNull"],
    ["a placeholder instead of null", broken(0, (r) => ({ ...r, ResourceName: "N/A" })), "NullHandling.Placeholder"],
    ["PricingUnit without PricingQuantity", broken(2, (r) => ({ ...r, PricingUnit: "Credits" })), "Nullability.PricingUnitWithPricingQuantity"],
    ["ConsumedUnit without ConsumedQuantity", broken(0, (r) => ({ ...r, ConsumedQuantity: null })), "Nullability.ConsumedUnitWithConsumedQuantity"],
    ["usage without a SKU", broken(0, (r) => ({ ...r, SkuId: null })), "SkuId.SetOnUsageAndPurchase"],
    ["a unit price without a SkuPriceId", broken(2, (r) => ({ ...r, ListUnitPrice: "0.01" })), "ListUnitPrice.NullExactlyWithoutSkuPriceId"],
    ["a negative unit price", broken(0, (r) => ({ ...r, ContractedUnitPrice: "-0.003", ContractedCost: "-0.006" })), "ContractedUnitPrice.NotNegative"],
    ["a SkuPriceId under two SkuIds", broken(1, (r) => ({ ...r, SkuPriceId: "llm-in@list" })), "SkuPriceId.OneSkuId"],
    ["ResourceType without ResourceId", broken(0, (r) => ({ ...r, ResourceId: null })), "Nullability.ResourceTypeWithResourceId"],
    ["ListCost that is not unit price × quantity", broken(0, (r) => ({ ...r, ListCost: "0.0061" })), "ListCost.UnitPriceTimesQuantity"],
    ["ContractedCost off by a rounding", broken(1, (r) => ({ ...r, ContractedCost: "45.51" })), "ContractedCost.UnitPriceTimesQuantity"],
    ["a standalone cost that differs from BilledCost", broken(2, (r) => ({ ...r, ListCost: "10" })), "ListCost.EqualsBilledCostWithoutUnitPrice"],
    ["an amortized cost on a prepaid purchase", broken(1, (r) => ({ ...r, EffectiveCost: "45.5" })), "EffectiveCost.ZeroOnPrepaidPurchase"],
    ["a usage-based purchase", broken(1, (r) => ({ ...r, ChargeFrequency: "Usage-Based" })), "ChargeFrequency.NotUsageBasedOnPurchase"],
    ["a credit whose EffectiveCost differs from BilledCost", broken(2, (r) => ({ ...r, BilledCost: "-10", ListCost: "-10", ContractedCost: "-10" })), "EffectiveCost.EqualsBilledCostOnCredit"],
    ["a charge period that ends before it starts", broken(0, (r) => ({ ...r, ChargePeriodEnd: "2026-01-05T09:00:00Z" })), "ChargePeriod.StartBeforeEnd"],
    ["nested tags", broken(0, (r) => ({ ...r, Tags: '{"team":{"name":"web"}}' })), "Format.KeyValueFormat"],
    ["repeated tag keys", broken(0, (r) => ({ ...r, Tags: '{"team":"web","team":"api"}' })), "Format.KeyValueFormat"],
    ["tags that are not JSON", broken(0, (r) => ({ ...r, Tags: "team=web" })), "Format.KeyValueFormat"],
    ["a SkuPriceDetails key neither FOCUS nor x_", broken(0, (r) => ({ ...r, SkuPriceDetails: '{"CreditsPerUnit":0.3}' })), "SkuPriceDetails.Keys"],
  ];
  for (const [what, rows, rule] of cases) {
    it(`reports ${what} as ${rule}`, () => {
      expect(rulesOf(jsonl(rows), "jsonl")).toContain(rule);
      expect(rulesOf(csv(rows), "csv")).toContain(rule);
    });
  }

  it("reports format problems that only one of the formats can have", () => {
    const stringDecimal = jsonl(ROWS).replace('"BilledCost":45.5', '"BilledCost":"45.5"');
    expect(rulesOf(stringDecimal, "jsonl")).toContain("Type.Decimal");
    const objectTags = jsonl(ROWS).replace(JSON.stringify(usage.Tags), usage.Tags!);
    expect(rulesOf(objectTags, "jsonl")).toContain("Type.String");
    const reordered = jsonl(ROWS).split("\n");
    reordered[1] = reordered[1]!.replace('"BilledCost":45.5,', "").replace('"x_Credits":5000', '"x_Credits":5000,"BilledCost":45.5');
    expect(rulesOf(reordered.join("\n"), "jsonl")).toContain("Format.JsonLines");
    const quotedEmpty = csv(ROWS).replace(",Prod,", ',"",');
    expect(rulesOf(quotedEmpty, "csv")).toContain("NullHandling.Placeholder");
    const shortRecord = `${csv(ROWS)}\r\n1,2,3`;
    expect(rulesOf(shortRecord, "csv")).toContain("Format.FieldCount");
  });

  it("checks the values against the metadata's column definitions", () => {
    const definitions = Object.keys(usage).map((name) => ({
      ColumnName: name,
      DataType: DECIMALS.has(name) ? "DECIMAL" : name.endsWith("Start") || name.endsWith("End") ? "DATETIME" : ["Tags", "SkuPriceDetails"].includes(name) ? "JSON" : "STRING",
      ...(DECIMALS.has(name) ? { NumericPrecision: 10, NumberScale: 4 } : { StringMaxLength: 40 }),
      ...(name === "Tags" || name === "SkuPriceDetails" ? { StringMaxLength: 60 } : {}),
      ...(name === "Tags" ? { ProviderTagPrefixes: ["bg/"] } : {}),
      ...(name === "ProviderName" || name === "PublisherName" ? { Deprecated: true } : {}),
    }));
    const metadata = (defs: object[]) => ({
      DataGenerator: { DataGenerator: "Gateway" },
      DatasetInstance: [{ DatasetInstanceId: "d1", DatasetInstanceName: "Acme", FocusDatasetId: "CostAndUsage" }],
      Recency: [{ DatasetInstanceId: "d1", RecencyLastUpdated: "2026-01-06T00:00:00Z", DatasetInstanceLastUpdated: "2026-01-06T00:00:00Z",
        TimeSectors: [{ TimeSectorStart: "2026-01-05T00:00:00Z", TimeSectorEnd: "2026-01-06T00:00:00Z", TimeSectorComplete: true, TimeSectorLastUpdated: "2026-01-06T00:00:00Z" }] }],
      Schema: [{ SchemaId: "s1", CreationDate: "2026-01-01T00:00:00Z", FocusVersion: "1.3", DatasetInstanceId: "d1", ColumnDefinition: defs }],
    });
    const rules = (rows: Row[], defs: object[]) => rulesOf(jsonl(rows), "jsonl", { ...OPTIONS, metadata: metadata(defs) });
    expect(rules(ROWS, definitions)).toEqual([]);
    expect(rules(broken(0, (r) => ({ ...r, ListCost: "0.0060001", ListUnitPrice: "0.0030000", EffectiveCost: "0.0060001" })), definitions)).toContain("Metadata.NumberScale");
    expect(rules(broken(1, (r) => ({ ...r, ChargeDescription: "x".repeat(41) })), definitions)).toContain("Metadata.StringMaxLength");
    expect(rules(ROWS, definitions.slice(1))).toContain("Metadata.ColumnDefinition");
    expect(rules(ROWS, definitions.map((d) => (d.ColumnName === "BilledCost" ? { ...d, DataType: "STRING" } : d)))).toContain("Metadata.ColumnDefinition");
    expect(rules(ROWS, definitions.map((d) => (d.ColumnName === "Tags" ? { ...d, ProviderTagPrefixes: [] } : d)))).toContain("Metadata.ColumnDefinition");
    expect(rules(ROWS, definitions.map((d) => (d.ColumnName === "ProviderName" ? { ...d, Deprecated: undefined } : d)))).toContain("Metadata.ColumnDefinition");
  });
});

const commitment: Row = {
  BillingCurrency: "USD", ContractCommitmentCategory: "Spend", ContractCommitmentCost: "45.5", ContractCommitmentDescription: "5000 credits",
  ContractCommitmentId: "7", ContractCommitmentPeriodEnd: "2027-01-05T10:00:00Z", ContractCommitmentPeriodStart: "2026-01-05T10:00:00Z",
  ContractCommitmentQuantity: "5000", ContractCommitmentType: "Prepaid Credits", ContractCommitmentUnit: "Credits", ContractId: "42",
  ContractPeriodEnd: "2027-01-05T10:00:00Z", ContractPeriodStart: "2026-01-05T10:00:00Z", x_SubAccountId: "ws-1",
};
const COMMITMENT_OPTIONS: CheckOptions = { dataset: "ContractCommitment", capabilities: [] };
const COMMITMENT_DECIMALS = new Set(["ContractCommitmentCost", "ContractCommitmentQuantity"]);
const commitmentJsonl = (rows: Row[]) =>
  rows.map((row) => `{${Object.entries(row).map(([k, v]) => `${JSON.stringify(k)}:${v === null ? "null" : COMMITMENT_DECIMALS.has(k) ? v : JSON.stringify(v)}`).join(",")}}\n`).join("");
const applied = (elements: object[]) => JSON.stringify({ Elements: elements });
const element = { ContractID: "42", ContractCommitmentID: "7", ContractCommitmentAppliedCost: 0.006, ContractCommitmentAppliedQuantity: 0.6, ContractCommitmentAppliedUnit: "Credits" };
const drawn = (elements: object[]) => ROWS.map((row, i) => ({ ContractApplied: i === 0 ? applied(elements) : null, ...row }));
const CONTRACT_OPTIONS: CheckOptions = { ...OPTIONS, capabilities: [...OPTIONS.capabilities, "CONTRACT_COMMITMENTS"] };

describe("FOCUS conformance checker, Contract Commitment dataset", () => {
  it("passes conformant commitments, and usage that names them in ContractApplied", () => {
    expect(checkFocusFile(readJsonl(commitmentJsonl([commitment])), COMMITMENT_OPTIONS)).toEqual([]);
    expect(checkFocusFile(readJsonl(jsonl(drawn([element]))), CONTRACT_OPTIONS)).toEqual([]);
    expect(checkContractApplied(readJsonl(jsonl(drawn([element]))), readJsonl(commitmentJsonl([commitment])))).toEqual([]);
  });

  const cases: [string, Row[], string][] = [
    ["a missing Mandatory column", [without(commitment, "ContractId")], "ColumnPresence.Mandatory"],
    ["a Cost and Usage column", [{ ...commitment, BilledCost: "1" }], "ColumnHandling.UnknownColumn"],
    ["a category outside Spend and Usage", [{ ...commitment, ContractCommitmentCategory: "Prepaid" }], "ContractCommitmentCategory.AllowedValues"],
    ["a spend commitment without cost", [{ ...commitment, ContractCommitmentCost: null }], "ContractCommitmentCost.SetOnSpend"],
    ["a quantity without a unit", [{ ...commitment, ContractCommitmentUnit: null }], "ContractCommitmentUnit.SetWithQuantity"],
    ["a repeated commitment id", [commitment, commitment], "ContractCommitmentId.Unique"],
    ["a period that ends before it starts", [{ ...commitment, ContractCommitmentPeriodEnd: "2025-01-05T10:00:00Z" }], "ContractCommitmentPeriod.StartBeforeEnd"],
    ["a commitment beyond its contract", [{ ...commitment, ContractPeriodEnd: "2026-06-05T10:00:00Z" }], "ContractCommitmentPeriod.WithinContractPeriod"],
    ["a null contract id", [{ ...commitment, ContractId: null }], "Nullability.NotNull"],
  ];
  for (const [what, rows, rule] of cases) {
    it(`reports ${what} as ${rule}`, () => expect(checkFocusFile(readJsonl(commitmentJsonl(rows)), COMMITMENT_OPTIONS).map((v) => v.rule)).toContain(rule));
  }

  it("reports ContractApplied that is malformed, names no commitment of the file, or applies more than it holds", () => {
    const rules = (elements: object[]) => checkFocusFile(readJsonl(jsonl(drawn(elements))), CONTRACT_OPTIONS).map((v) => v.rule);
    expect(rules([{ ...element, ContractID: undefined }])).toContain("Format.JsonObjectFormat");
    expect(rules([{ ...element, ContractCommitmentAppliedUnit: undefined }])).toContain("Format.JsonObjectFormat");
    const joined = (elements: object[]) => checkContractApplied(readJsonl(jsonl(drawn(elements))), readJsonl(commitmentJsonl([commitment]))).map((v) => v.rule);
    expect(joined([{ ...element, ContractCommitmentID: "8" }])).toEqual(["ContractApplied.KnownCommitment"]);
    expect(joined([{ ...element, ContractID: "43" }])).toEqual(["ContractApplied.ContractOfTheCommitment"]);
    expect(joined([{ ...element, ContractCommitmentAppliedUnit: "Tokens" }])).toEqual(["ContractApplied.UnitOfTheCommitment"]);
    expect(joined([element, { ...element, ContractCommitmentAppliedCost: 45.5 }])).toEqual(["ContractApplied.CostWithinCommitment"]);
  });

  it("asks its metadata for completeness, not time sectors, and for the file's dataset", () => {
    const base = {
      DataGenerator: { DataGenerator: "Gateway" },
      DatasetInstance: [{ DatasetInstanceId: "c1", DatasetInstanceName: "Acme commitments", FocusDatasetId: "ContractCommitment" }],
      Recency: [{ DatasetInstanceId: "c1", RecencyLastUpdated: "2026-01-06T00:00:00Z", DatasetInstanceLastUpdated: "2026-01-06T00:00:00Z", DatasetInstanceComplete: true }],
      Schema: [{ SchemaId: "s2", CreationDate: "2026-01-01T00:00:00Z", FocusVersion: "1.3", DatasetInstanceId: "c1",
        ColumnDefinition: Object.keys(commitment).map((name) => ({ ColumnName: name, DataType: COMMITMENT_DECIMALS.has(name) ? "DECIMAL" : name.endsWith("Start") || name.endsWith("End") ? "DATETIME" : "STRING" })) }],
    };
    const rules = (metadata: object) => checkFocusFile(readJsonl(commitmentJsonl([commitment])), { ...COMMITMENT_OPTIONS, metadata }).filter((v) => v.severity === "error").map((v) => v.rule);
    expect(rules(base)).toEqual([]);
    expect(rules({ ...base, Recency: [{ ...base.Recency[0], DatasetInstanceComplete: undefined }] })).toContain("Metadata.Recency");
    expect(rules({ ...base, DatasetInstance: [{ ...base.DatasetInstance[0], FocusDatasetId: "CostAndUsage" }] })).toContain("Metadata.DatasetInstance");
  });
});
