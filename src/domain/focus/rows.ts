// FOCUS 1.3 Cost and Usage rows of one workspace and time range: the single source of the export
// files, their metadata's columns and the GraphQL connection. docs/focus-mapping.md explains the
// mapping. Rows come in keyset batches, so that exports stream with flat memory.
import type { Actor } from "../../auth/actor.js";
import type { Database } from "../../db/client.js";
import { Prisma, type CreditTransaction, type Organization, type Sku, type Workspace } from "../../db/generated/client.js";
import { assertWorkspaceScope } from "../access.js";
import { ValidationError } from "../errors.js";
import type { TimeWindow } from "../time.js";
import { COLUMN, PROVIDER_TAG_PREFIX, toRow, type FocusRecord, type FocusRow } from "./columns.js";

const Decimal = Prisma.Decimal;
const HOUR_MS = 3_600_000;
const YEAR_MS = 365 * 86_400_000;
/** Rows per read: larger batches cost memory (each lives through several young-generation GCs) and gain nothing. */
const BATCH = 1_000;

export const MAX_FOCUS_WINDOW_DAYS = 365;

/** What is wrong with an export window [from, to), naming the bound at fault; null when it is fine. */
export function focusWindowProblem(from: Date, to: Date): { code: "INVALID_RANGE" | "RANGE_TOO_LARGE"; param: "from" | "to"; message: string } | null {
  if (from >= to) return { code: "INVALID_RANGE", param: "from", message: "from must be before to" };
  const days = (to.getTime() - from.getTime()) / 86_400_000;
  if (days > MAX_FOCUS_WINDOW_DAYS) {
    return { code: "RANGE_TOO_LARGE", param: "to", message: `to may be at most ${MAX_FOCUS_WINDOW_DAYS} days after from (got ${Math.ceil(days)})` };
  }
  return null;
}

export interface FocusContext {
  workspace: Workspace;
  organization: Organization;
  providerName: string;
}

/** FOCUS date-times: UTC, whole seconds, no fraction. */
export function focusTime(date: Date | number): string {
  return `${new Date(date).toISOString().slice(0, 19)}Z`;
}

function utcMonth(at: Date | number): [string, string] {
  const date = new Date(at);
  return [focusTime(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)), focusTime(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1))];
}

const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;

/** Columns that are the same on every row of a workspace: accounts, providers, currencies. */
function accountColumns(ctx: FocusContext) {
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

function periodColumns(billingAt: Date, chargeStart: Date | number, chargeEnd: Date | number) {
  const [billingStart, billingEnd] = utcMonth(billingAt);
  return { BillingPeriodStart: billingStart, BillingPeriodEnd: billingEnd, ChargePeriodStart: focusTime(chargeStart), ChargePeriodEnd: focusTime(chargeEnd) };
}

/** Price and resource columns of rows that have no SKU price: set back where a row kind has them. */
const NO_PRICE = {
  ConsumedQuantity: null, ConsumedUnit: null, ContractedUnitPrice: null, ListUnitPrice: null, PricingCategory: null,
  PricingCurrencyContractedUnitPrice: null, PricingCurrencyListUnitPrice: null, PricingQuantity: null, PricingUnit: null,
  ResourceId: null, ResourceName: null, ResourceType: null, SkuId: null, SkuMeter: null, SkuPriceDetails: null, SkuPriceId: null,
  Tags: null, x_UsageRecordId: null, x_ExecutionId: null, x_ApiKeyId: null, x_ExternalUserId: null, x_ExternalProjectId: null, x_Model: null,
};

/** A ledger row that is not a metered charge: purchases, grants, refunds, adjustments, expirations, execution charges. */
export function ledgerRow(ctx: FocusContext, row: CreditTransaction): FocusRow {
  const zero = "0";
  const at = row.occurredAt;
  const validity = periodColumns(at, floorTo(at.getTime(), 1000), row.expiresAt ?? at.getTime() + YEAR_MS);
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
  };
  switch (row.type) {
    case "PURCHASE": {
      const money = row.moneyAmount ?? new Decimal(0);
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
        ContractedUnitPrice: row.amount.isZero() ? zero : money.div(row.amount).toDecimalPlaces(20).toFixed(),
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
      // A workflow execution charged in credits: one execution, priced at what it cost.
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
        EffectiveCost: money,
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
    default:
      // Grants and refunds of credits are allowances the provider grants; expirations and manual
      // changes adjust the balance. No money moves, so every cost column is 0 (= BilledCost).
      return toRow({
        ...common,
        ...(row.type === "GRANT" ? validity : periodColumns(at, floorTo(at.getTime(), 1000), floorTo(at.getTime(), 1000) + 1000)),
        ChargeCategory: row.type === "GRANT" || row.type === "REFUND" ? "Credit" : "Adjustment",
        BilledCost: zero,
        EffectiveCost: zero,
        ListCost: zero,
        ContractedCost: zero,
      });
  }
}

/**
 * Usage records, read as text with the exact products computed by PostgreSQL (numeric), in
 * (occurredAt, id) order after a keyset position. The row comparison lets the scan use the
 * (workspaceId, occurredAt, id) index; an OR of the two conditions scans the whole window.
 */
const USAGE_SQL = `
  SELECT u.id::text, (extract(epoch FROM u."occurredAt") * 1000)::bigint::text, u."skuId",
    trim_scale(u.units)::text, trim_scale(u.credits)::text,
    trim_scale(u.credits * $4::numeric)::text,
    trim_scale(u.units * s."listPriceUsd")::text,
    trim_scale(u.units * s."creditsPerUnit" * $4::numeric)::text,
    NULLIF(u."resourceId", ''), CASE WHEN u."resourceId" <> '' THEN lower(u."resourceKind"::text) END,
    NULLIF(u.model, ''), NULLIF(u."externalUserId", ''),
    NULLIF(u."externalProjectId", ''), u."apiKeyId"::text
  FROM "UsageRecord" u JOIN "Sku" s ON s.id = u."skuId"
  WHERE u."workspaceId" = $1::uuid AND u."occurredAt" >= $2::timestamptz AND u."occurredAt" < $3::timestamptz
    AND (u."occurredAt", u.id) > (timestamptz 'epoch' + $5::bigint * interval '1 millisecond', $6::bigint)
  ORDER BY u."occurredAt", u.id
  LIMIT $7`;

/** Positions in a USAGE_SQL row. */
const U = {
  id: 0, atMs: 1, skuId: 2, units: 3, credits: 4, effectiveCost: 5, listCost: 6, contractedCost: 7,
  resourceId: 8, resourceKind: 9, model: 10, externalUserId: 11, externalProjectId: 12, apiKeyId: 13,
} as const;

type UsageSqlRow = (string | null)[];

/** A SKU's usage row with everything that does not vary per record already filled in. */
function usageTemplate(ctx: FocusContext, sku: Sku): FocusRow {
  const creditsPerUnit = sku.creditsPerUnit.toFixed();
  const listPrice = sku.listPriceUsd.toFixed();
  const perRecord = null; // filled in by usageRow
  return toRow({
    ...accountColumns(ctx),
    ...NO_PRICE,
    BillingPeriodStart: perRecord, BillingPeriodEnd: perRecord, ChargePeriodStart: perRecord, ChargePeriodEnd: perRecord,
    ChargeCategory: "Usage",
    ChargeFrequency: "Usage-Based",
    ChargeDescription: perRecord,
    BilledCost: "0", // paid for by credits bought earlier
    EffectiveCost: perRecord,
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

/** The negation of a decimal's text, exactly. */
const negated = (value: string) => (value === "0" ? value : value.startsWith("-") ? value.slice(1) : `-${value}`);

const keyPart = (value: string | null) => (value === null ? "-" : `${value.length}:${value}`); // unambiguous, unlike "null"

/** Tags of a record; the few combinations of model, user and project repeat, so each is serialized once. */
function usageTags() {
  const seen = new Map<string, string | null>();
  return (model: string | null, externalUserId: string | null, externalProjectId: string | null): string | null => {
    const key = keyPart(model) + keyPart(externalUserId) + keyPart(externalProjectId);
    let tags = seen.get(key);
    if (tags === undefined) {
      const entries = Object.entries({ model, externalUserId, externalProjectId }).filter(([, value]) => value !== null);
      tags = entries.length ? JSON.stringify(Object.fromEntries(entries.map(([name, value]) => [PROVIDER_TAG_PREFIX + name, value]))) : null;
      if (seen.size >= 10_000) seen.clear(); // bounded: many distinct users only cost the serialization
      seen.set(key, tags);
    }
    return tags;
  };
}

/** Maps usage rows to FOCUS rows; rows arrive in time order, so period strings are made once an hour. */
function usageMapper(ctx: FocusContext, skus: Sku[]) {
  const templates = new Map(skus.map((sku) => [sku.id, { row: usageTemplate(ctx, sku), name: sku.name, unit: sku.unit }]));
  const tagsOf = usageTags();
  let hour = Number.NaN;
  let periods = periodColumns(new Date(0), 0, 0);
  return (r: UsageSqlRow): FocusRow => {
    const sku = templates.get(r[U.skuId]!)!;
    const row = sku.row.slice();
    const atHour = floorTo(Number(r[U.atMs]), HOUR_MS);
    if (atHour !== hour) {
      hour = atHour;
      periods = periodColumns(new Date(atHour), atHour, atHour + HOUR_MS);
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
    row[COLUMN.x_Credits] = negated(r[U.credits]!);
    row[COLUMN.ResourceId] = r[U.resourceId]!;
    row[COLUMN.ResourceType] = r[U.resourceKind]!;
    row[COLUMN.Tags] = tagsOf(r[U.model]!, r[U.externalUserId]!, r[U.externalProjectId]!);
    row[COLUMN.x_UsageRecordId] = r[U.id]!;
    row[COLUMN.x_ApiKeyId] = r[U.apiKeyId]!;
    row[COLUMN.x_ExternalUserId] = r[U.externalUserId]!;
    row[COLUMN.x_ExternalProjectId] = r[U.externalProjectId]!;
    row[COLUMN.x_Model] = r[U.model]!;
    return row;
  };
}

/** A batch of rows and the opaque cursor after each: `L:<ledger id>` or `U:<epoch ms>:<usage id>`. */
export interface FocusBatch {
  rows: FocusRow[];
  cursor(index: number): string;
}

interface Start {
  /** Ledger rows after this id; null once the ledger part is done. */
  ledgerAfter: bigint | null;
  usageAfter: { ms: string; id: string };
}

function parseCursor(cursor: string | null | undefined): Start {
  const usageStart = { ms: "0", id: "0" };
  if (!cursor) return { ledgerAfter: 0n, usageAfter: usageStart };
  const ledger = /^L:(\d{1,18})$/.exec(cursor);
  if (ledger) return { ledgerAfter: BigInt(ledger[1]!), usageAfter: usageStart };
  const usage = /^U:(\d{1,15}):(\d{1,18})$/.exec(cursor);
  if (usage) return { ledgerAfter: null, usageAfter: { ms: usage[1]!, id: usage[2]! } };
  throw ValidationError.single("after", "Malformed cursor");
}

/**
 * Pages of a keyset read. The next page is requested before the caller gets the current one, so
 * that the database reads while the caller writes; a read the caller no longer wants is dropped.
 */
async function* keysetPages<R>(read: (after: R | null, take: number) => Promise<R[]>, batchSize: number, limit: number): AsyncGenerator<R[]> {
  let size = Math.min(batchSize, limit);
  let remaining = limit;
  let next = size > 0 ? read(null, size) : null;
  while (next) {
    const page = await next;
    remaining -= page.length;
    next = null;
    if (page.length === size && remaining > 0) {
      size = Math.min(batchSize, remaining);
      next = read(page.at(-1)!, size);
      next.catch(() => {}); // awaited on the next turn; if the caller stops first, nobody waits for it
      await new Promise((resolve) => setImmediate(resolve)); // lets the driver send the query before the caller gets busy
    }
    if (page.length > 0) yield page;
  }
}

/**
 * Rows of a workspace and window, in batches: ledger rows (purchases, grants, …) in id order, then
 * usage in time order. Exports take every batch; the GraphQL connection starts after a cursor and
 * stops at a limit.
 */
export async function* focusRowBatches(
  db: Database,
  actor: Actor,
  workspace: Workspace,
  window: TimeWindow,
  providerName: string,
  options: { after?: string | null; limit?: number; batchSize?: number } = {},
): AsyncGenerator<FocusBatch> {
  assertWorkspaceScope(actor, workspace.id, "read:billing");
  const start = parseCursor(options.after);
  const batchSize = options.batchSize ?? BATCH;
  let budget = options.limit ?? Number.POSITIVE_INFINITY;
  const organization = await db.prisma.organization.findUniqueOrThrow({ where: { id: workspace.organizationId } });
  const ctx: FocusContext = { workspace, organization, providerName };

  if (start.ledgerAfter !== null) {
    const firstId = start.ledgerAfter;
    const ledger = keysetPages<CreditTransaction>(
      (after, take) =>
        db.prisma.creditTransaction.findMany({
          where: {
            workspaceId: workspace.id,
            occurredAt: { gte: window.from, lt: window.to },
            id: { gt: after?.id ?? firstId },
            NOT: { type: "USAGE", usageRecordId: { not: null } }, // metered usage comes from its usage record
          },
          orderBy: { id: "asc" },
          take,
        }),
      batchSize,
      budget,
    );
    for await (const page of ledger) {
      budget -= page.length;
      yield { rows: page.map((row) => ledgerRow(ctx, row)), cursor: (i) => `L:${page[i]!.id}` };
    }
  }

  const toUsageRow = usageMapper(ctx, await db.prisma.sku.findMany());
  const params = [workspace.id, window.from.toISOString(), window.to.toISOString(), workspace.creditPriceUsd.toFixed()];
  const usage = keysetPages<UsageSqlRow>(
    (after, take) => db.readRows(USAGE_SQL, [...params, after?.[U.atMs] ?? start.usageAfter.ms, after?.[U.id] ?? start.usageAfter.id, take]),
    batchSize,
    budget,
  );
  for await (const page of usage) {
    yield { rows: page.map(toUsageRow), cursor: (i) => `U:${page[i]![U.atMs]}:${page[i]![U.id]}` };
  }
}
