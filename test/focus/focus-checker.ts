// A FOCUS 1.3 conformance checker for CSV and JSONL files of both datasets (Cost and Usage, Contract
// Commitment) and their metadata, covering sections 1-4 of ../shared/focus-1.3.md: column presence,
// types and formats, enumerations, null couplings, cost equations, JSON columns, custom-column
// placement, commitment periods, and the join from ContractApplied to the commitments.
// The official validator cannot be installed here (no PyPI); this is the project's own.
import { parse as parseCsv } from "csv-parse/sync";
import { isLosslessNumber, parse as parseLossless } from "lossless-json";
import * as X from "./exact-decimal.js";
import {
  CAPABILITY_COLUMNS, COMMITMENT_SPEC_COLUMNS, ENUMS, ISO_4217_NATIONAL, METADATA_DATA_TYPES, NULL_PLACEHOLDERS, SKU_PRICE_DETAIL_KEYS, SPEC_COLUMNS,
  SUBCATEGORIES, type Capability, type FocusDatasetId, type SpecColumn, type SpecType,
} from "./focus-spec.js";

/** A value as read: its text (null for a real null) and what the file said it was. */
export interface Cell {
  text: string | null;
  /** JSONL: the JSON type; CSV: "text" for every non-null field (CSV has no types). */
  kind: "string" | "number" | "boolean" | "object" | "null" | "text";
}

export interface FocusFile {
  /** parquet: read back by DuckDB, each value as the text of its FOCUS format (read-parquet.ts). */
  format: "csv" | "jsonl" | "parquet";
  columns: string[];
  rows: Cell[][];
}

export interface Violation {
  rule: string;
  severity: "error" | "warning";
  count: number;
  /** The first few occurrences: row number (1-based, data rows) and column. */
  examples: string[];
}

export interface CheckOptions {
  /** Cost and Usage unless told. */
  dataset?: FocusDatasetId;
  /** What the provider supports: each makes its Conditional columns required (Cost and Usage). */
  capabilities: Capability[];
  /** FOCUS metadata (DataGenerator, DatasetInstance, Recency, Schema) to check with the file. */
  metadata?: unknown;
}

class Report {
  private found = new Map<string, Violation>();
  add(rule: string, example: string, severity: "error" | "warning" = "error"): void {
    const entry = this.found.get(rule) ?? { rule, severity, count: 0, examples: [] };
    entry.count += 1;
    if (entry.examples.length < 3) entry.examples.push(example);
    this.found.set(rule, entry);
  }
  list(): Violation[] {
    return [...this.found.values()].sort((a, b) => a.rule.localeCompare(b.rule));
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the files

export function readCsv(text: string): FocusFile {
  const records = parseCsv(text, {
    bom: false,
    relax_column_count: true, // reported per record below, instead of failing the whole file
    cast: (value, context) => ({ text: value === "" && !context.quoting ? null : value, kind: value === "" && !context.quoting ? "null" : "text" }),
  }) as unknown as Cell[][];
  const [header = [], ...rows] = records;
  return { format: "csv", columns: header.map((cell) => cell.text ?? ""), rows };
}

function cellOf(value: unknown): Cell {
  if (value === null) return { text: null, kind: "null" };
  if (isLosslessNumber(value)) return { text: value.value, kind: "number" };
  if (typeof value === "string") return { text: value, kind: "string" };
  if (typeof value === "boolean") return { text: String(value), kind: "boolean" };
  return { text: JSON.stringify(value), kind: "object" };
}

/** JSONL with numbers kept as their exact text; every line must have the first line's keys in order. */
export function readJsonl(text: string): FocusFile & { lineProblems: string[] } {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  let columns: string[] | null = null;
  const rows: Cell[][] = [];
  const lineProblems: string[] = [];
  lines.forEach((line, i) => {
    let parsed: unknown;
    try {
      parsed = parseLossless(line);
    } catch (error) {
      return void lineProblems.push(`line ${i + 1}: not JSON (${(error as Error).message})`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return void lineProblems.push(`line ${i + 1}: not an object`);
    const keys = Object.keys(parsed);
    columns ??= keys;
    if (keys.join("\u0000") !== columns.join("\u0000")) lineProblems.push(`line ${i + 1}: keys differ from the first line's`);
    rows.push(columns.map((key) => cellOf((parsed as Record<string, unknown>)[key] ?? null)));
  });
  return { format: "jsonl", columns: columns ?? [], rows, lineProblems };
}

// ---------------------------------------------------------------------------------------------
// Checking

const CUSTOM_TYPES: Record<string, SpecType> = { STRING: "String", DECIMAL: "Decimal", DATETIME: "DateTime", JSON: "KeyValue" };
const DATETIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$/;
const COLUMN_ID = /^[A-Z][A-Za-z0-9]*$/;

function validDateTime(text: string): boolean {
  const m = DATETIME.exec(text);
  if (!m) return false;
  const date = new Date(text);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 19) === text.slice(0, 19);
}

/** A flat JSON object of unique keys and primitive values (KeyValueFormat), or why not. */
function keyValueProblem(text: string): string | null {
  let parsed: unknown;
  try {
    parsed = parseLossless(text); // throws on duplicate keys
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "not a JSON object";
  for (const [key, value] of Object.entries(parsed)) {
    if (key === "") return "an empty key";
    if (value !== null && typeof value === "object" && !isLosslessNumber(value)) return `key ${key} holds an object or array`;
  }
  return null;
}

function jsonObjectProblem(column: string, text: string): string | null {
  let parsed: unknown;
  try {
    parsed = parseLossless(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "not a JSON object";
  const elements = (parsed as { Elements?: unknown }).Elements;
  if (!Array.isArray(elements) || elements.length === 0) return "no Elements array";
  for (const element of elements as Record<string, unknown>[]) {
    if (typeof element !== "object" || element === null) return "an element that is not an object";
    const has = (key: string) => element[key] !== undefined && element[key] !== null;
    if (column === "AllocatedMethodDetails") {
      if (!has("AllocatedRatio")) return "an element without AllocatedRatio";
      if (has("UsageQuantity") && !has("UsageUnit")) return "UsageQuantity without UsageUnit";
    }
    if (column === "ContractApplied") {
      if (!has("ContractID") && !has("ContractId")) return "an element without ContractID";
      if (!has("ContractCommitmentID") && !has("ContractCommitmentId")) return "an element without ContractCommitmentID";
      if (!has("ContractCommitmentAppliedCost") && !has("ContractCommitmentAppliedQuantity")) return "an element without AppliedCost or AppliedQuantity";
      if (has("ContractCommitmentAppliedQuantity") && !has("ContractCommitmentAppliedUnit")) return "AppliedQuantity without AppliedUnit";
    }
  }
  return null;
}

const SPECS: Record<FocusDatasetId, Record<string, SpecColumn>> = { CostAndUsage: SPEC_COLUMNS, ContractCommitment: COMMITMENT_SPEC_COLUMNS };

function checkColumns(file: FocusFile, specs: Record<string, SpecColumn>, capabilities: Capability[], report: Report): void {
  const present = new Set(file.columns);
  if (present.size !== file.columns.length) report.add("ColumnHandling.DuplicateColumn", file.columns.filter((c, i) => file.columns.indexOf(c) !== i).join(", "));
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.level === "M" && !present.has(name)) report.add("ColumnPresence.Mandatory", name);
  }
  for (const capability of capabilities) {
    for (const name of CAPABILITY_COLUMNS[capability]) if (!present.has(name)) report.add("ColumnPresence.Conditional", `${name} (${capability})`);
  }
  let firstCustom = -1;
  file.columns.forEach((name, i) => {
    if (specs[name]) {
      if (firstCustom >= 0) report.add("ColumnHandling.CustomColumnsAfterFocusColumns", `${name} follows ${file.columns[firstCustom]}`);
      return;
    }
    if (!name.startsWith("x_")) return report.add("ColumnHandling.UnknownColumn", name);
    if (!COLUMN_ID.test(name.slice(2)) || name.length > 50) report.add("ColumnHandling.CustomColumnName", name, "warning");
    if (firstCustom < 0) firstCustom = i;
  });
}

interface ColumnRules {
  dataType?: string;
  maxLength?: number;
  precision?: number;
  scale?: number;
}

/** Per-column limits from the metadata's column definitions (StringMaxLength, NumericPrecision, NumberScale). */
function rulesFromMetadata(metadata: unknown): Map<string, ColumnRules> {
  const rules = new Map<string, ColumnRules>();
  const schema = (metadata as { Schema?: { ColumnDefinition?: Record<string, unknown>[] }[] } | undefined)?.Schema?.[0];
  for (const def of schema?.ColumnDefinition ?? []) {
    rules.set(String(def.ColumnName), {
      dataType: typeof def.DataType === "string" ? def.DataType : undefined,
      maxLength: typeof def.StringMaxLength === "number" ? def.StringMaxLength : undefined,
      precision: typeof def.NumericPrecision === "number" ? def.NumericPrecision : undefined,
      scale: typeof def.NumberScale === "number" ? def.NumberScale : undefined,
    });
  }
  return rules;
}

function checkCells(file: FocusFile, specs: Record<string, SpecColumn>, limits: Map<string, ColumnRules>, report: Report): void {
  file.columns.forEach((name, c) => {
    const spec = specs[name];
    const limit = limits.get(name) ?? {};
    file.rows.forEach((row, r) => {
      const cell = row[c];
      const at = `row ${r + 1} ${name}`;
      if (!cell) return report.add("Format.FieldCount", `row ${r + 1} has ${row.length} fields`);
      if (cell.text === null) {
        if (spec?.notNull) report.add("Nullability.NotNull", at);
        return;
      }
      const text = cell.text;
      // Custom columns are typed by their metadata, when there is some.
      const type = spec?.type ?? CUSTOM_TYPES[limit.dataType ?? ""];
      if (type === undefined) return;
      if (type === "Decimal") {
        if (file.format === "jsonl" && cell.kind !== "number") report.add("Type.Decimal", `${at}: JSON ${cell.kind}`);
        const value = X.NUMERIC_FORMAT.test(text) ? X.parseExact(text) : null;
        if (!value) return report.add("Format.NumericFormat", `${at}: "${text.slice(0, 30)}"`);
        if (limit.scale !== undefined && value.scale > limit.scale) report.add("Metadata.NumberScale", `${at}: ${text} has more than ${limit.scale} decimals`);
        if (limit.precision !== undefined && X.integerDigits(value) + (limit.scale ?? 0) > limit.precision) report.add("Metadata.NumericPrecision", `${at}: ${text}`);
        return;
      }
      if (file.format === "jsonl" && cell.kind !== "string") return report.add("Type.String", `${at}: JSON ${cell.kind}`);
      if (type === "DateTime") {
        if (!validDateTime(text)) report.add("Format.DateTimeFormat", `${at}: "${text.slice(0, 30)}"`);
        return;
      }
      if (NULL_PLACEHOLDERS.has(text.trim())) report.add("NullHandling.Placeholder", `${at}: "${text}"`);
      if (limit.maxLength !== undefined && [...text].length > limit.maxLength) report.add("Metadata.StringMaxLength", `${at}: ${[...text].length} > ${limit.maxLength}`);
      if (type === "KeyValue") {
        const problem = keyValueProblem(text);
        if (problem) report.add("Format.KeyValueFormat", `${at}: ${problem}`);
        if (!problem && name === "SkuPriceDetails") {
          for (const key of Object.keys(JSON.parse(text))) {
            if (!key.startsWith("x_") && !SKU_PRICE_DETAIL_KEYS.has(key)) report.add("SkuPriceDetails.Keys", `${at}: ${key}`);
          }
        }
      }
      if (type === "JsonObject") {
        const problem = jsonObjectProblem(name, text);
        if (problem) report.add("Format.JsonObjectFormat", `${at}: ${problem}`);
      }
      const allowed = ENUMS[name];
      if (allowed && !allowed.includes(text)) report.add(`${name}.AllowedValues`, `${at}: "${text}"`);
    });
  });
}

/** The rules that relate columns of one row: null couplings, categories and cost equations. */
function checkRows(file: FocusFile, limits: Map<string, ColumnRules>, report: Report): void {
  const index = new Map(file.columns.map((name, i) => [name, i]));
  const skuOfPrice = new Map<string, string>();
  file.rows.forEach((row, r) => {
    const has = (name: string) => index.has(name);
    const text = (name: string) => (index.has(name) ? (row[index.get(name)!]?.text ?? null) : null);
    const isNull = (name: string) => text(name) === null;
    const num = (name: string) => {
      const value = text(name);
      return value === null ? null : X.parseExact(value);
    };
    const at = (rule: string, detail = "", severity: "error" | "warning" = "error") => report.add(rule, `row ${r + 1}${detail ? `: ${detail}` : ""}`, severity);
    const together = (a: string, b: string) => {
      if (has(a) && has(b) && isNull(a) !== isNull(b)) at(`Nullability.${b}With${a}`, `${a} ${isNull(a) ? "null" : "set"}, ${b} ${isNull(b) ? "null" : "set"}`);
    };

    const category = text("ChargeCategory");
    const correction = text("ChargeClass") === "Correction";
    const usageOrPurchase = (category === "Usage" || category === "Purchase") && !correction;
    const tax = category === "Tax";
    const priced = !isNull("SkuPriceId");

    // ChargeFrequency and categories
    if (category === "Purchase" && text("ChargeFrequency") === "Usage-Based") at("ChargeFrequency.NotUsageBasedOnPurchase");
    if (isNull("ChargeDescription") && has("ChargeDescription")) at("ChargeDescription.ShouldNotBeNull", "", "warning");
    if (has("HostProviderName") && isNull("HostProviderName") && category !== "Tax" && category !== "Adjustment") at("Nullability.HostProviderName");

    // SKU and price columns
    for (const name of ["SkuId", "SkuPriceId"]) {
      if (!has(name)) continue;
      if (usageOrPurchase && isNull(name)) at(`${name}.SetOnUsageAndPurchase`);
      if (tax && !isNull(name)) at(`${name}.NullOnTax`);
    }
    if (has("SkuPriceId") && has("SkuId") && priced) {
      if (isNull("SkuId")) at("SkuPriceId.RequiresSkuId");
      const sku = text("SkuId")!;
      const earlier = skuOfPrice.get(text("SkuPriceId")!);
      if (earlier !== undefined && earlier !== sku) at("SkuPriceId.OneSkuId", `${text("SkuPriceId")} has ${earlier} and ${sku}`);
      skuOfPrice.set(text("SkuPriceId")!, sku);
    }
    if (has("SkuMeter") && isNull("SkuId") && !isNull("SkuMeter")) at("SkuMeter.NullWithoutSkuId");
    if (has("SkuPriceDetails") && !priced && !isNull("SkuPriceDetails")) at("SkuPriceDetails.NullWithoutSkuPriceId");
    for (const name of ["ListUnitPrice", "ContractedUnitPrice", "PricingCurrencyListUnitPrice", "PricingCurrencyContractedUnitPrice"]) {
      if (!has(name)) continue;
      if (isNull(name) !== (!priced || tax)) at(`${name}.NullExactlyWithoutSkuPriceId`);
      const value = num(name);
      if (value && value.units < 0n) at(`${name}.NotNegative`, text(name)!);
    }
    if (has("PricingQuantity")) {
      if ((!priced || tax) && !isNull("PricingQuantity")) at("PricingQuantity.NullWithoutSkuPriceId");
      if (usageOrPurchase && isNull("PricingQuantity")) at("PricingQuantity.SetOnUsageAndPurchase");
    }
    together("PricingQuantity", "PricingUnit");
    if (has("PricingCategory")) {
      if ((!priced || tax) && !isNull("PricingCategory")) at("PricingCategory.NullWithoutSkuPriceId");
      if (usageOrPurchase && isNull("PricingCategory")) at("PricingCategory.SetOnUsageAndPurchase");
    }
    if (has("ConsumedQuantity")) {
      if ((category !== "Usage" || !priced) && !isNull("ConsumedQuantity")) at("ConsumedQuantity.OnlyOnPricedUsage");
      const unused = text("CommitmentDiscountStatus") === "Unused";
      if (category === "Usage" && !correction && priced && !unused && isNull("ConsumedQuantity")) at("ConsumedQuantity.SetOnUsage");
    }
    together("ConsumedQuantity", "ConsumedUnit");

    // Accounts, resources, regions, commitments, allocation
    together("SubAccountId", "SubAccountName");
    together("SubAccountId", "SubAccountType");
    together("ResourceId", "ResourceType");
    if (has("ResourceName") && isNull("ResourceId") && !isNull("ResourceName")) at("ResourceName.NullWithoutResourceId");
    if (has("ResourceName") && !isNull("ResourceName") && text("ResourceName") === text("ResourceId")) at("ResourceName.NotTheId", text("ResourceId")!, "warning");
    together("RegionId", "RegionName");
    together("CommitmentDiscountId", "CommitmentDiscountCategory");
    together("CommitmentDiscountId", "CommitmentDiscountType");
    if (has("CommitmentDiscountName") && isNull("CommitmentDiscountId") && !isNull("CommitmentDiscountName")) at("CommitmentDiscountName.NullWithoutId");
    if (has("CommitmentDiscountStatus")) {
      if (isNull("CommitmentDiscountId") && !isNull("CommitmentDiscountStatus")) at("CommitmentDiscountStatus.NullWithoutId");
      if (!isNull("CommitmentDiscountId") && category === "Usage" && isNull("CommitmentDiscountStatus")) at("CommitmentDiscountStatus.SetOnUsage");
    }
    if (has("CommitmentDiscountQuantity") && !isNull("CommitmentDiscountQuantity") && (!priced || isNull("CommitmentDiscountId"))) at("CommitmentDiscountQuantity.Coupling");
    together("CommitmentDiscountQuantity", "CommitmentDiscountUnit");
    together("CapacityReservationId", "CapacityReservationStatus");
    together("AllocatedResourceId", "AllocatedResourceName");
    const allocated = has("AllocatedMethodId") && !isNull("AllocatedMethodId");
    for (const name of ["AllocatedMethodDetails", "AllocatedTags", "AllocatedResourceId"]) {
      if (has(name) && !allocated && !isNull(name)) at(`${name}.NullOnNonAllocatedRows`);
    }

    // Currencies
    const billing = text("BillingCurrency");
    if (billing !== null && !ISO_4217_NATIONAL.has(billing)) at("BillingCurrency.NationalIso4217", billing);
    const pricing = text("PricingCurrency");
    if (pricing !== null && /^[A-Z]{3}$/.test(pricing) && !ISO_4217_NATIONAL.has(pricing)) at("PricingCurrency.Iso4217OrVirtual", pricing);

    // Services
    const serviceCategory = text("ServiceCategory");
    const subcategory = text("ServiceSubcategory");
    if (serviceCategory !== null && !(serviceCategory in SUBCATEGORIES)) at("ServiceCategory.AllowedValues", serviceCategory);
    if (serviceCategory !== null && subcategory !== null && serviceCategory in SUBCATEGORIES) {
      const allowed = [...SUBCATEGORIES[serviceCategory]!, `Other (${serviceCategory})`];
      if (!allowed.includes(subcategory)) at("ServiceSubcategory.UnderItsCategory", `${subcategory} under ${serviceCategory}`);
    }

    // Periods
    for (const period of ["Charge", "Billing"]) {
      const start = text(`${period}PeriodStart`);
      const end = text(`${period}PeriodEnd`);
      if (start && end && validDateTime(start) && validDateTime(end) && !(start < end)) at(`${period}Period.StartBeforeEnd`, `${start} .. ${end}`);
    }

    // Cost equations
    const billed = num("BilledCost");
    const quantity = num("PricingQuantity");
    for (const [cost, unitPrice] of [["ListCost", "ListUnitPrice"], ["ContractedCost", "ContractedUnitPrice"]] as const) {
      const actual = num(cost);
      if (!actual) continue;
      const price = num(unitPrice);
      if (price && quantity) {
        // Exact, up to the rounding of a unit price published with fewer decimals than the product needs.
        const tolerance = X.add(X.halfUlp(limits.get(unitPrice)?.scale ?? 38, quantity), X.halfUlp(limits.get(cost)?.scale ?? 38));
        const difference = X.abs(X.sub(actual, X.mul(price, quantity)));
        if (X.compare(difference, tolerance) > 0) at(`${cost}.UnitPriceTimesQuantity`, `${text(cost)} ≠ ${text(unitPrice)} × ${text("PricingQuantity")}`);
      } else if (billed && !tax && X.compare(actual, billed) !== 0) {
        at(`${cost}.EqualsBilledCostWithoutUnitPrice`, `${text(cost)} ≠ ${text("BilledCost")}`);
      }
    }
    const effective = num("EffectiveCost");
    if (category === "Purchase") {
      if (effective && effective.units !== 0n) at("EffectiveCost.ZeroOnPrepaidPurchase", text("EffectiveCost")!);
      const pricingEffective = num("PricingCurrencyEffectiveCost");
      if (pricingEffective && pricingEffective.units !== 0n) at("PricingCurrencyEffectiveCost.ZeroOnPrepaidPurchase", text("PricingCurrencyEffectiveCost")!);
    }
    if (category === "Credit" && effective && billed && X.compare(effective, billed) !== 0) at("EffectiveCost.EqualsBilledCostOnCredit");
  });
}

// ---------------------------------------------------------------------------------------------
// Metadata (section 4), as far as it describes the file

export function checkMetadata(metadata: unknown, columns: string[], report = new Report(), dataset: FocusDatasetId = "CostAndUsage"): Violation[] {
  const m = (metadata ?? {}) as Record<string, unknown>;
  const fail = (rule: string, detail: string) => report.add(`Metadata.${rule}`, detail);
  const nonEmpty = (value: unknown) => typeof value === "string" && value.trim() !== "";
  const generator = m.DataGenerator as Record<string, unknown> | undefined;
  if (!nonEmpty(generator?.DataGenerator)) fail("DataGenerator", "DataGenerator.DataGenerator must be a non-empty string");
  const instances = Array.isArray(m.DatasetInstance) ? (m.DatasetInstance as Record<string, unknown>[]) : [];
  if (instances.length === 0) fail("DatasetInstance", "at least one DatasetInstance is required");
  const ids = new Set<string>();
  for (const instance of instances) {
    if (!nonEmpty(instance.DatasetInstanceId) || !nonEmpty(instance.DatasetInstanceName)) fail("DatasetInstance", "DatasetInstanceId and DatasetInstanceName are required");
    if (instance.FocusDatasetId !== "CostAndUsage" && instance.FocusDatasetId !== "ContractCommitment") fail("DatasetInstance", `FocusDatasetId ${String(instance.FocusDatasetId)}`);
    else if (instance.FocusDatasetId !== dataset) fail("DatasetInstance", `FocusDatasetId ${String(instance.FocusDatasetId)} describes another dataset than the file's ${dataset}`);
    if (ids.has(String(instance.DatasetInstanceId))) fail("DatasetInstance", "DatasetInstanceId repeated");
    ids.add(String(instance.DatasetInstanceId));
  }
  const recency = Array.isArray(m.Recency) ? (m.Recency as Record<string, unknown>[]) : [];
  for (const entry of recency) {
    if (!ids.has(String(entry.DatasetInstanceId))) fail("Recency", "DatasetInstanceId names no dataset instance");
    for (const key of ["RecencyLastUpdated", "DatasetInstanceLastUpdated"]) if (!validDateTime(String(entry[key]))) fail("Recency", `${key} is not a FOCUS date-time`);
    // Cost and Usage is a time series (time sectors); Contract Commitment is not (complete or not as a whole).
    const sectors = Array.isArray(entry.TimeSectors) ? (entry.TimeSectors as Record<string, unknown>[]) : null;
    if (dataset === "CostAndUsage" && !sectors) fail("Recency", "TimeSectors is required for a time-series dataset");
    if (dataset === "ContractCommitment" && typeof entry.DatasetInstanceComplete !== "boolean") fail("Recency", "DatasetInstanceComplete is required for a dataset that is not a time series");
    let previousEnd: string | null = null;
    for (const sector of sectors ?? []) {
      const [start, end, updated] = [sector.TimeSectorStart, sector.TimeSectorEnd, sector.TimeSectorLastUpdated].map(String) as [string, string, string];
      if (![start, end, updated].every(validDateTime)) fail("Recency", "time sector with a malformed date-time");
      if (!(start < end)) fail("Recency", `time sector ${start} .. ${end} does not end after it starts`);
      if (previousEnd !== null && start < previousEnd) fail("Recency", `time sectors overlap at ${start}`);
      if (typeof sector.TimeSectorComplete !== "boolean") fail("Recency", "TimeSectorComplete must be a boolean");
      previousEnd = end;
    }
  }
  const schemas = Array.isArray(m.Schema) ? (m.Schema as Record<string, unknown>[]) : [];
  if (schemas.length === 0) fail("Schema", "at least one Schema is required");
  for (const schema of schemas) {
    if (!nonEmpty(schema.SchemaId) || !validDateTime(String(schema.CreationDate))) fail("Schema", "SchemaId and a FOCUS date-time CreationDate are required");
    if (schema.FocusVersion !== "1.3") fail("Schema", `FocusVersion ${String(schema.FocusVersion)}`);
    if (!ids.has(String(schema.DatasetInstanceId))) fail("Schema", "DatasetInstanceId names no dataset instance");
    const definitions = Array.isArray(schema.ColumnDefinition) ? (schema.ColumnDefinition as Record<string, unknown>[]) : [];
    const defined = definitions.map((d) => String(d.ColumnName));
    const missing = columns.filter((c) => !defined.includes(c));
    const extra = defined.filter((c) => !columns.includes(c));
    const repeated = defined.filter((c, i) => defined.indexOf(c) !== i);
    if (missing.length || extra.length || repeated.length) {
      fail("ColumnDefinition", `missing ${missing.join(",") || "-"}; extra ${extra.join(",") || "-"}; repeated ${repeated.join(",") || "-"}`);
    }
    for (const definition of definitions) {
      const name = String(definition.ColumnName);
      const spec = SPECS[dataset][name];
      if (spec && definition.DataType !== METADATA_DATA_TYPES[spec.type]) fail("ColumnDefinition", `${name} DataType ${String(definition.DataType)}`);
      if (definition.DataType === "DECIMAL" && (typeof definition.NumericPrecision !== "number" || typeof definition.NumberScale !== "number")) {
        report.add("Metadata.ColumnDefinition.DecimalPrecision", `${name} has no NumericPrecision/NumberScale`, "warning");
      }
      if (definition.DataType === "STRING" && typeof definition.StringMaxLength !== "number") {
        report.add("Metadata.ColumnDefinition.StringMaxLength", `${name} has no StringMaxLength`, "warning");
      }
      const prefixes = definition.ProviderTagPrefixes;
      if (name === "Tags" && (!Array.isArray(prefixes) || prefixes.length === 0 || !prefixes.every(nonEmpty))) fail("ColumnDefinition", "Tags needs ProviderTagPrefixes");
      if ((name === "ProviderName" || name === "PublisherName") && definition.Deprecated !== true) fail("ColumnDefinition", `${name} must be marked Deprecated`);
    }
  }
  return report.list();
}

/** Every violation of the file (and, when given, of its metadata). An empty list means conformant. */
export function checkFocusFile(file: FocusFile & { lineProblems?: string[] }, options: CheckOptions): Violation[] {
  const report = new Report();
  for (const problem of file.lineProblems ?? []) report.add("Format.JsonLines", problem);
  // An empty JSONL file is an empty dataset: it has no columns to check. A CSV file always has its header.
  if (file.format === "jsonl" && file.rows.length === 0) return report.list();
  if (file.columns.length === 0) report.add("Format.Empty", "no header");
  const dataset = options.dataset ?? "CostAndUsage";
  checkColumns(file, SPECS[dataset], dataset === "CostAndUsage" ? options.capabilities : [], report);
  const limits = rulesFromMetadata(options.metadata);
  checkCells(file, SPECS[dataset], limits, report);
  if (dataset === "CostAndUsage") checkRows(file, limits, report);
  else checkCommitmentRows(file, report);
  if (options.metadata !== undefined) checkMetadata(options.metadata, file.columns, report, dataset);
  return report.list();
}

/** A file's rows as column → exact text. */
function recordsOf(file: FocusFile): ((name: string) => string | null)[] {
  const index = new Map(file.columns.map((name, i) => [name, i]));
  return file.rows.map((row) => (name: string) => (index.has(name) ? (row[index.get(name)!]?.text ?? null) : null));
}

/** Contract Commitment rows: cost or quantity, units, unique ids and periods that nest. */
function checkCommitmentRows(file: FocusFile, report: Report): void {
  const seen = new Set<string>();
  recordsOf(file).forEach((text, r) => {
    const at = (rule: string, detail = "") => report.add(rule, `row ${r + 1}${detail ? `: ${detail}` : ""}`);
    const category = text("ContractCommitmentCategory");
    const cost = text("ContractCommitmentCost");
    const quantity = text("ContractCommitmentQuantity");
    if (cost === null && quantity === null) at("ContractCommitment.CostOrQuantity");
    if (category === "Spend" && cost === null) at("ContractCommitmentCost.SetOnSpend");
    if (category === "Usage" && quantity === null) at("ContractCommitmentQuantity.SetOnUsage");
    if (quantity !== null && text("ContractCommitmentUnit") === null) at("ContractCommitmentUnit.SetWithQuantity");
    const billing = text("BillingCurrency");
    if (billing !== null && !ISO_4217_NATIONAL.has(billing)) at("BillingCurrency.NationalIso4217", billing);
    const id = text("ContractCommitmentId");
    if (id !== null && seen.has(id)) at("ContractCommitmentId.Unique", id);
    if (id !== null) seen.add(id);
    const [start, end, contractStart, contractEnd] = ["ContractCommitmentPeriodStart", "ContractCommitmentPeriodEnd", "ContractPeriodStart", "ContractPeriodEnd"].map(text);
    if (start && end && !(start < end)) at("ContractCommitmentPeriod.StartBeforeEnd", `${start} .. ${end}`);
    if (contractStart && contractEnd && !(contractStart < contractEnd)) at("ContractPeriod.StartBeforeEnd", `${contractStart} .. ${contractEnd}`);
    if (start && end && contractStart && contractEnd && (start < contractStart || end > contractEnd)) at("ContractCommitmentPeriod.WithinContractPeriod");
  });
}

/**
 * The join between the datasets: every ContractApplied element names a commitment of the
 * Contract Commitment file, under its contract and in its unit, and no commitment gives more
 * than it holds (in cost and in quantity).
 */
export function checkContractApplied(costAndUsage: FocusFile, commitments: FocusFile): Violation[] {
  const report = new Report();
  const byId = new Map(recordsOf(commitments).map((text) => [text("ContractCommitmentId"), text]));
  const applied = new Map<string, { cost: X.Exact; quantity: X.Exact }>();
  recordsOf(costAndUsage).forEach((text, r) => {
    const json = text("ContractApplied");
    if (json === null) return;
    const elements = (parseLossless(json) as { Elements: Record<string, unknown>[] }).Elements;
    for (const element of elements) {
      const value = (key: string) => (isLosslessNumber(element[key]) ? (element[key] as { value: string }).value : element[key] === undefined ? null : String(element[key]));
      const id = value("ContractCommitmentID") ?? value("ContractCommitmentId");
      const commitment = byId.get(id);
      if (!commitment) {
        report.add("ContractApplied.KnownCommitment", `row ${r + 1}: ${id}`);
        continue;
      }
      if ((value("ContractID") ?? value("ContractId")) !== commitment("ContractId")) report.add("ContractApplied.ContractOfTheCommitment", `row ${r + 1}: ${id}`);
      if (value("ContractCommitmentAppliedUnit") !== null && value("ContractCommitmentAppliedUnit") !== commitment("ContractCommitmentUnit")) {
        report.add("ContractApplied.UnitOfTheCommitment", `row ${r + 1}: ${id}`);
      }
      const sum = applied.get(id!) ?? { cost: X.ZERO, quantity: X.ZERO };
      applied.set(id!, {
        cost: X.add(sum.cost, X.parseExact(value("ContractCommitmentAppliedCost") ?? "0")!),
        quantity: X.add(sum.quantity, X.parseExact(value("ContractCommitmentAppliedQuantity") ?? "0")!),
      });
    }
  });
  for (const [id, sum] of applied) {
    const commitment = byId.get(id)!;
    const cost = commitment("ContractCommitmentCost");
    const quantity = commitment("ContractCommitmentQuantity");
    if (cost !== null && X.compare(sum.cost, X.parseExact(cost)!) > 0) report.add("ContractApplied.CostWithinCommitment", `${id}: ${X.toText(sum.cost)} > ${cost}`);
    if (quantity !== null && X.compare(sum.quantity, X.parseExact(quantity)!) > 0) report.add("ContractApplied.QuantityWithinCommitment", `${id}: ${X.toText(sum.quantity)} > ${quantity}`);
  }
  return report.list();
}
