// FOCUS 1.3 Cost and Usage rows of one workspace and time range: the single source of the export
// files, their metadata and (later) the GraphQL connection. docs/focus-mapping.md explains the
// mapping. Rows come in keyset batches so that exports stream with flat memory.
import crypto from "node:crypto";
import type { Actor } from "../auth/actor.js";
import type { PrismaClient } from "../db/client.js";
import { Prisma, type CreditTransaction, type Organization, type Sku, type UsageRecord, type Workspace } from "../db/generated/client.js";
import { assertWorkspaceScope } from "./access.js";
import { ValidationError } from "./errors.js";
import type { TimeWindow } from "./time.js";

type Decimal = Prisma.Decimal;
const Decimal = Prisma.Decimal;

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

const s = (name: string, stringMaxLength = 200): FocusColumn => ({ name, dataType: "STRING", stringMaxLength });
const d = (name: string, numberScale = 16): FocusColumn => ({ name, dataType: "DECIMAL", numericPrecision: 38, numberScale });
const t = (name: string): FocusColumn => ({ name, dataType: "DATETIME" });
const j = (name: string, extra: Partial<FocusColumn> = {}): FocusColumn => ({ name, dataType: "JSON", ...extra });

export const PROVIDER_TAG_PREFIX = "bg/";

/** Every exported column, FOCUS columns first (alphabetical), then the custom x_ columns. */
export const FOCUS_COLUMNS: FocusColumn[] = [
  d("BilledCost"), s("BillingAccountId", 36), s("BillingAccountName"), s("BillingAccountType", 50), s("BillingCurrency", 3),
  t("BillingPeriodEnd"), t("BillingPeriodStart"), s("ChargeCategory", 20), s("ChargeClass", 20), s("ChargeDescription", 500),
  s("ChargeFrequency", 20), t("ChargePeriodEnd"), t("ChargePeriodStart"), d("ConsumedQuantity", 6), s("ConsumedUnit", 50),
  d("ContractedCost"), d("ContractedUnitPrice"), d("EffectiveCost"), s("HostProviderName"), s("InvoiceIssuerName"), d("ListCost"),
  d("ListUnitPrice"), s("PricingCategory", 20), s("PricingCurrency", 20), d("PricingCurrencyContractedUnitPrice"),
  d("PricingCurrencyEffectiveCost"), d("PricingCurrencyListUnitPrice"), d("PricingQuantity", 6), s("PricingUnit", 50),
  { ...s("ProviderName"), deprecated: true }, { ...s("PublisherName"), deprecated: true }, s("ResourceId"), s("ResourceName"),
  s("ResourceType", 50), s("ServiceCategory", 50), s("ServiceName", 100), s("ServiceProviderName"), s("ServiceSubcategory", 100),
  s("SkuId", 100), s("SkuMeter", 100), j("SkuPriceDetails"), s("SkuPriceId", 120), s("SubAccountId", 36), s("SubAccountName"),
  s("SubAccountType", 50), j("Tags", { providerTagPrefixes: [PROVIDER_TAG_PREFIX] }),
  d("x_Credits", 6), s("x_CreditTransactionId", 20), s("x_UsageRecordId", 20), s("x_ExecutionId", 20), s("x_ApiKeyId", 36),
  s("x_ExternalUserId"), s("x_ExternalProjectId"), s("x_Model"),
];

/** A row: strings, exact decimals, or null; JSON columns hold their serialized text. */
export type FocusRow = Record<string, string | Decimal | null>;

export interface FocusContext {
  workspace: Workspace;
  organization: Organization;
  providerName: string;
}

const BATCH = 5_000;
export const MAX_FOCUS_WINDOW_MS = 365 * 86_400_000;
/** Provider, publisher and invoice issuer named in the rows. */
export const FOCUS_PROVIDER_NAME = process.env.FOCUS_PROVIDER_NAME || "Billing Gateway";
const GENERATOR_VERSION = "0.1.0";
const YEAR_MS = 365 * 86_400_000;

/** FOCUS date-times: UTC, whole seconds, no fraction. */
export function focusTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function monthOfUtc(date: Date): [Date, Date] {
  const start = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
  return [start, new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1))];
}

function hourOf(date: Date): [Date, Date] {
  const start = new Date(Math.floor(date.getTime() / 3_600_000) * 3_600_000);
  return [start, new Date(start.getTime() + 3_600_000)];
}

function secondOf(date: Date): [Date, Date] {
  const start = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return [start, new Date(start.getTime() + 1000)];
}

function base(ctx: FocusContext, at: Date, chargePeriod: [Date, Date]): FocusRow {
  const [billingStart, billingEnd] = monthOfUtc(at);
  return {
    BillingAccountId: ctx.organization.id,
    BillingAccountName: ctx.organization.name,
    BillingAccountType: "Organization",
    BillingCurrency: "USD",
    BillingPeriodStart: focusTime(billingStart),
    BillingPeriodEnd: focusTime(billingEnd),
    ChargePeriodStart: focusTime(chargePeriod[0]),
    ChargePeriodEnd: focusTime(chargePeriod[1]),
    ChargeClass: null,
    HostProviderName: ctx.providerName,
    InvoiceIssuerName: ctx.providerName,
    ProviderName: ctx.providerName,
    PublisherName: ctx.providerName,
    ServiceProviderName: ctx.providerName,
    PricingCurrency: "Credits",
    SubAccountId: ctx.workspace.id,
    SubAccountName: ctx.workspace.name,
    SubAccountType: "Workspace",
  };
}

const EMPTY_PRICING = {
  ConsumedQuantity: null, ConsumedUnit: null, ContractedUnitPrice: null, ListUnitPrice: null, PricingCategory: null,
  PricingCurrencyContractedUnitPrice: null, PricingCurrencyListUnitPrice: null, PricingQuantity: null, PricingUnit: null,
  ResourceId: null, ResourceName: null, ResourceType: null, SkuId: null, SkuMeter: null, SkuPriceDetails: null, SkuPriceId: null,
  Tags: null, x_UsageRecordId: null, x_ExecutionId: null, x_ApiKeyId: null, x_ExternalUserId: null, x_ExternalProjectId: null, x_Model: null,
};

function tagsOf(entries: [string, string | null][]): string | null {
  const present = entries.filter(([, v]) => v !== null && v !== "");
  return present.length ? JSON.stringify(Object.fromEntries(present.map(([k, v]) => [PROVIDER_TAG_PREFIX + k, v]))) : null;
}

/** A metered charge, paid for by credits bought earlier. */
export function usageRow(ctx: FocusContext, record: UsageRecord, sku: Sku): FocusRow {
  const price = ctx.workspace.creditPriceUsd;
  const contractedUnitPrice = sku.creditsPerUnit.mul(price);
  return {
    ...base(ctx, record.occurredAt, hourOf(record.occurredAt)),
    ...EMPTY_PRICING,
    ChargeCategory: "Usage",
    ChargeFrequency: "Usage-Based",
    ChargeDescription: `${sku.name}: ${record.units.toFixed()} ${sku.unit}`,
    BilledCost: new Decimal(0),
    EffectiveCost: record.credits.mul(price),
    ListUnitPrice: sku.listPriceUsd,
    ListCost: sku.listPriceUsd.mul(record.units),
    ContractedUnitPrice: contractedUnitPrice,
    ContractedCost: contractedUnitPrice.mul(record.units),
    PricingCategory: "Standard",
    PricingQuantity: record.units,
    PricingUnit: sku.unit,
    ConsumedQuantity: record.units,
    ConsumedUnit: sku.unit,
    PricingCurrencyListUnitPrice: sku.creditsPerUnit,
    PricingCurrencyContractedUnitPrice: sku.creditsPerUnit,
    PricingCurrencyEffectiveCost: record.credits,
    ServiceName: sku.serviceName,
    ServiceCategory: sku.serviceCategory,
    ServiceSubcategory: sku.serviceSubcategory,
    SkuId: sku.id,
    SkuPriceId: `${sku.id}@list`,
    SkuMeter: sku.meter,
    SkuPriceDetails: JSON.stringify({ x_CreditsPerUnit: Number(sku.creditsPerUnit.toFixed()), x_ListPriceUsd: Number(sku.listPriceUsd.toFixed()) }),
    ResourceId: record.resourceId,
    ResourceType: record.resourceId ? record.resourceKind.toLowerCase() : null,
    Tags: tagsOf([["model", record.model], ["externalUserId", record.externalUserId], ["externalProjectId", record.externalProjectId]]),
    x_Credits: record.credits.neg(),
    x_CreditTransactionId: null,
    x_UsageRecordId: record.id.toString(),
    x_ApiKeyId: record.apiKeyId,
    x_ExternalUserId: record.externalUserId,
    x_ExternalProjectId: record.externalProjectId,
    x_Model: record.model,
  };
}

/** A ledger row that is not a metered charge: purchases, grants, refunds, adjustments, expirations, execution charges. */
export function ledgerRow(ctx: FocusContext, row: CreditTransaction): FocusRow {
  const zero = new Decimal(0);
  const common = {
    ...EMPTY_PRICING,
    ChargeDescription: row.description,
    ChargeFrequency: "One-Time",
    ServiceName: "Credits",
    ServiceCategory: "Other",
    ServiceSubcategory: "Other (Other)",
    PricingCurrencyEffectiveCost: zero,
    x_Credits: row.amount,
    x_CreditTransactionId: row.id.toString(),
    x_ExecutionId: row.executionId?.toString() ?? null,
  };
  const validity: [Date, Date] = [secondOf(row.occurredAt)[0], row.expiresAt ?? new Date(row.occurredAt.getTime() + YEAR_MS)];
  switch (row.type) {
    case "PURCHASE": {
      const money = row.moneyAmount ?? zero;
      const listUnitPrice = ctx.workspace.creditPriceUsd;
      return {
        ...base(ctx, row.occurredAt, validity),
        ...common,
        ChargeCategory: "Purchase",
        BilledCost: money,
        EffectiveCost: zero,
        ListUnitPrice: listUnitPrice,
        ListCost: listUnitPrice.mul(row.amount),
        ContractedUnitPrice: row.amount.isZero() ? zero : money.div(row.amount),
        ContractedCost: money,
        PricingCategory: "Standard",
        PricingQuantity: row.amount,
        PricingUnit: "Credits",
        PricingCurrencyListUnitPrice: new Decimal(1),
        PricingCurrencyContractedUnitPrice: new Decimal(1),
        SkuId: "credits",
        SkuPriceId: "credits@usd",
        SkuMeter: "Credits",
      };
    }
    case "USAGE": {
      // A workflow execution charged in credits: usage without a price-list SKU.
      const money = row.amount.neg().mul(ctx.workspace.creditPriceUsd);
      return {
        ...base(ctx, row.occurredAt, hourOf(row.occurredAt)),
        ...common,
        ChargeCategory: "Usage",
        ChargeFrequency: "Usage-Based",
        ServiceName: "Workflow executions",
        ServiceCategory: "Integration",
        ServiceSubcategory: "Workflow Orchestration",
        BilledCost: zero,
        EffectiveCost: money,
        ListCost: money,
        ContractedCost: money,
        PricingCurrencyEffectiveCost: row.amount.neg(),
        SkuId: "workflow-execution",
        SkuPriceId: "workflow-execution@usd",
        SkuMeter: "Executions",
        ListUnitPrice: money,
        ContractedUnitPrice: money,
        PricingQuantity: new Decimal(1),
        PricingUnit: "Executions",
        ConsumedQuantity: new Decimal(1),
        ConsumedUnit: "Executions",
        PricingCategory: "Standard",
        PricingCurrencyListUnitPrice: row.amount.neg(),
        PricingCurrencyContractedUnitPrice: row.amount.neg(),
      };
    }
    default:
      return {
        ...base(ctx, row.occurredAt, row.type === "GRANT" ? validity : secondOf(row.occurredAt)),
        ...common,
        // Grants and refunds are provider-granted reductions; the rest adjust the balance.
        ChargeCategory: row.type === "GRANT" || row.type === "REFUND" ? "Credit" : "Adjustment",
        BilledCost: zero,
        EffectiveCost: zero,
        ListCost: zero,
        ContractedCost: zero,
      };
  }
}

/** A row and the opaque cursor after it: `L:<ledger id>` or `U:<epoch ms>:<usage id>`. */
export interface PositionedRow {
  row: FocusRow;
  cursor: string;
}

function parseCursor(cursor: string | null | undefined): { ledgerAfter: bigint; usageAfter: { occurredAt: Date; id: bigint } | null } {
  if (!cursor) return { ledgerAfter: 0n, usageAfter: null };
  const ledger = /^L:(\d{1,18})$/.exec(cursor);
  if (ledger) return { ledgerAfter: BigInt(ledger[1]!), usageAfter: null };
  const usage = /^U:(\d{1,15}):(\d{1,18})$/.exec(cursor);
  if (usage) return { ledgerAfter: -1n, usageAfter: { occurredAt: new Date(Number(usage[1])), id: BigInt(usage[2]!) } };
  throw ValidationError.single("after", "Malformed cursor");
}

/**
 * Rows of a workspace and window, in batches: ledger rows first, then usage in time order. The
 * export streams every batch; the GraphQL connection starts after a cursor and stops early.
 */
export async function* focusRowBatches(
  prisma: PrismaClient,
  actor: Actor,
  workspace: Workspace,
  window: TimeWindow,
  providerName: string,
  options: { after?: string | null; batchSize?: number } = {},
): AsyncGenerator<PositionedRow[]> {
  assertWorkspaceScope(actor, workspace.id, "read:billing");
  const batchSize = options.batchSize ?? BATCH;
  const start = parseCursor(options.after);
  const organization = await prisma.organization.findUniqueOrThrow({ where: { id: workspace.organizationId } });
  const ctx: FocusContext = { workspace, organization, providerName };
  const range = { gte: window.from, lt: window.to };

  let lastLedgerId = start.ledgerAfter;
  while (lastLedgerId >= 0n) {
    const rows = await prisma.creditTransaction.findMany({
      where: { workspaceId: workspace.id, occurredAt: range, id: { gt: lastLedgerId }, OR: [{ type: { not: "USAGE" } }, { usageRecordId: null }] },
      orderBy: { id: "asc" },
      take: batchSize,
    });
    if (rows.length === 0) break;
    yield rows.map((row) => ({ row: ledgerRow(ctx, row), cursor: `L:${row.id}` }));
    lastLedgerId = rows.at(-1)!.id;
    if (rows.length < batchSize) break;
  }

  const skus = new Map((await prisma.sku.findMany()).map((sku) => [sku.id, sku]));
  let after = start.usageAfter;
  for (;;) {
    const records: UsageRecord[] = await prisma.usageRecord.findMany({
      where: {
        workspaceId: workspace.id,
        occurredAt: range,
        ...(after ? { OR: [{ occurredAt: { gt: after.occurredAt } }, { occurredAt: after.occurredAt, id: { gt: after.id } }] } : {}),
      },
      orderBy: [{ occurredAt: "asc" }, { id: "asc" }],
      take: batchSize,
    });
    if (records.length === 0) break;
    yield records.map((record) => ({ row: usageRow(ctx, record, skus.get(record.skuId)!), cursor: `U:${record.occurredAt.getTime()}:${record.id}` }));
    const last = records.at(-1)!;
    after = { occurredAt: last.occurredAt, id: last.id };
    if (records.length < batchSize) break;
  }
}

/** Identifiers that stay the same for a workspace, and change when the columns change. */
export function datasetIds(workspace: Workspace) {
  const guid = (seed: string) => {
    const h = crypto.createHash("sha256").update(seed).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  return {
    datasetInstanceId: guid(`dataset:${workspace.id}`),
    schemaId: guid(`schema:${JSON.stringify(FOCUS_COLUMNS)}:${GENERATOR_VERSION}`),
  };
}

/** FOCUS 1.3 metadata of a range: generator, dataset instance, recency by UTC day, and schema. */
export async function focusMetadata(prisma: PrismaClient, actor: Actor, workspace: Workspace, window: TimeWindow, providerName: string) {
  assertWorkspaceScope(actor, workspace.id, "read:billing");
  const { datasetInstanceId, schemaId } = datasetIds(workspace);
  const sectors = await prisma.$queryRaw<{ day: Date; updated: Date | null }[]>`
    SELECT d.day, GREATEST(
      (SELECT MAX("createdAt") FROM "UsageRecord" u WHERE u."workspaceId" = ${workspace.id}::uuid AND u."occurredAt" >= d.day AND u."occurredAt" < d.day + interval '1 day'),
      (SELECT MAX("occurredAt") FROM "CreditTransaction" c WHERE c."workspaceId" = ${workspace.id}::uuid AND c."occurredAt" >= d.day AND c."occurredAt" < d.day + interval '1 day')
    ) AS updated
    FROM generate_series(date_trunc('day', ${window.from}::timestamptz AT TIME ZONE 'UTC'), (${window.to}::timestamptz - interval '1 millisecond') AT TIME ZONE 'UTC', interval '1 day') AS d(day)`;
  const now = new Date();
  const lastUpdated = sectors.reduce<Date | null>((max, s) => (s.updated && (!max || s.updated > max) ? s.updated : max), null) ?? window.from;
  return {
    DataGenerator: { DataGenerator: providerName },
    DatasetInstance: [{ DatasetInstanceId: datasetInstanceId, DatasetInstanceName: `Cost and usage of ${workspace.name}`, FocusDatasetId: "CostAndUsage" }],
    Recency: [{
      DatasetInstanceId: datasetInstanceId,
      RecencyLastUpdated: focusTime(now),
      DatasetInstanceLastUpdated: focusTime(lastUpdated),
      TimeSectors: sectors.map(({ day, updated }) => {
        const start = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
        const end = new Date(start.getTime() + 86_400_000);
        return {
          TimeSectorStart: focusTime(start),
          TimeSectorEnd: focusTime(end),
          // A day is complete once it is over: usage may be recorded up to five minutes late.
          TimeSectorComplete: end.getTime() + 5 * 60_000 <= now.getTime(),
          TimeSectorLastUpdated: focusTime(updated ?? start),
        };
      }),
    }],
    Schema: [{
      SchemaId: schemaId,
      CreationDate: "2026-11-22T00:00:00Z",
      FocusVersion: "1.3",
      DataGeneratorVersion: GENERATOR_VERSION,
      DatasetInstanceId: datasetInstanceId,
      ColumnDefinition: FOCUS_COLUMNS.map((column) => ({
        ColumnName: column.name,
        DataType: column.dataType,
        ...(column.stringMaxLength ? { StringMaxLength: column.stringMaxLength, StringEncoding: "UTF-8" } : {}),
        ...(column.numericPrecision ? { NumericPrecision: column.numericPrecision, NumberScale: column.numberScale } : {}),
        ...(column.providerTagPrefixes ? { ProviderTagPrefixes: column.providerTagPrefixes } : {}),
        ...(column.deprecated ? { Deprecated: true } : {}),
      })),
    }],
  };
}

