// FOCUS 1.3 rows and metadata over GraphQL, from the same domain functions as the export files.
import { JSONObjectResolver } from "graphql-scalars";
import { GRAPHQL_PAGE } from "../../domain/connections.js";
import {
  COMMITMENT_COLUMNS, FOCUS_COLUMNS, type CommitmentColumnName, type FocusColumn, type FocusColumnName, type FocusRow,
} from "../../domain/focus/columns.js";
import { focusMetadata } from "../../domain/focus/metadata.js";
import { focusRowsPage, type FocusDataset, type FocusPage } from "../../domain/focus/rows.js";
import { builder } from "../builder.js";

builder.addScalarType("JSONObject", JSONObjectResolver, { description: "A JSON object, such as a FOCUS metadata document." });

type FocusEdgeShape = FocusPage["edges"][number];

/** A row type with one nullable string field per column, and its connection. */
function rowTypes(name: string, connectionName: string, description: string, columns: readonly FocusColumn[], columnDescriptions: Record<string, string>) {
  const row = builder.objectRef<FocusRow>(name).implement({
    description,
    fields: (t) =>
      Object.fromEntries(columns.map((column, i) => [column.name, t.string({ nullable: true, description: columnDescriptions[column.name], resolve: (r) => r[i] ?? null })])),
  });
  const edge = builder.objectRef<FocusEdgeShape>(`${name}Edge`).implement({
    description: `A ${name} row and its cursor.`,
    fields: (t) => ({
      cursor: t.exposeString("cursor", { description: "Opaque signed cursor of this row, valid only for this connection of this workspace." }),
      node: t.field({ type: row, description: "The row.", resolve: (e) => e.row }),
    }),
  });
  return builder.objectRef<FocusPage>(connectionName).implement({
    description: `A page of ${name} rows; forwards only (first/after).`,
    fields: (t) => ({
      edges: t.field({ type: [edge], description: "The rows of this page, each with its cursor.", resolve: (p) => p.edges }),
      pageInfo: t.field({
        type: builder.pageInfoRef(),
        description: "Whether more rows follow, and the cursors of this page's ends.",
        resolve: (p) => ({ hasNextPage: p.hasNextPage, hasPreviousPage: p.hasPreviousPage, startCursor: p.edges[0]?.cursor ?? null, endCursor: p.edges.at(-1)?.cursor ?? null }),
      }),
      hasNextPage: t.exposeBoolean("hasNextPage", { description: "Whether more rows follow.", deprecationReason: "Use pageInfo.hasNextPage." }),
      endCursor: t.string({
        nullable: true,
        description: "Cursor of the page's last row; null when the page is empty.",
        deprecationReason: "Use pageInfo.endCursor.",
        resolve: (p) => p.edges.at(-1)?.cursor ?? null,
      }),
    }),
  });
}

/** What each Cost and Usage column holds here (docs/focus-mapping.md gives the reasons). */
const FOCUS_COLUMN_DESCRIPTIONS: Record<FocusColumnName, string> = {
  BilledCost: "USD invoiced: the money paid for a purchase; 0 on every other row (usage is paid for by credits bought before).",
  BillingAccountId: "The organization's id: the account that is invoiced.",
  BillingAccountName: "The organization's name.",
  BillingAccountType: "Always Organization.",
  BillingCurrency: "Always USD: the currency of every cost column except the PricingCurrency ones.",
  BillingPeriodEnd: "End (exclusive) of the UTC calendar month of the charge.",
  BillingPeriodStart: "Start of the UTC calendar month of the charge.",
  ChargeCategory: "Usage, Purchase, Credit (grants and refunds of free credits) or Adjustment (expirations, adjustments, refunds of bought credits).",
  ChargeClass: "Always null: no row corrects a closed billing period.",
  ChargeDescription: "The ledger row's description; for a usage record, the SKU's name with the units and unit.",
  ChargeFrequency: "Usage-Based for usage and charged executions; One-Time for other ledger rows.",
  ChargePeriodEnd: "End (exclusive) of the charge period: the end of that UTC hour for usage and charged executions; a purchase's or grant's expiry (365 days on without one); else a second after the row's time.",
  ChargePeriodStart: "Start of the charge period: the UTC hour of usage and charged executions; otherwise the row's time, to the second.",
  ConsumedQuantity: "Units consumed, in ConsumedUnit: a usage record's units, 1 for a charged execution; null otherwise.",
  ConsumedUnit: "The SKU's unit, or Executions for a charged execution; null otherwise.",
  ContractApplied: "JSON naming the purchases the row drew credits from, with the cost and credits each gave; null when none.",
  ContractedCost: "USD at the contracted credit price: usage units × credits per unit × credit price, a charged execution's credits × credit price, a purchase's money paid; 0 otherwise.",
  ContractedUnitPrice: "USD per PricingUnit at the contracted price: credits per unit × credit price, a charged execution's credits × credit price, a purchase's money ÷ credits; null otherwise.",
  EffectiveCost: "Amortized USD: what the credits a row took had cost (0 if they were free); for a refund of bought credits, minus the cost it gives back; 0 for purchases, grants and other free credits.",
  HostProviderName: "The gateway's provider name (Billing Gateway unless configured).",
  InvoiceIssuerName: "The gateway's provider name (Billing Gateway unless configured).",
  ListCost: "USD at list prices: usage units × the SKU's list price, credits × credit price for purchases and charged executions; 0 otherwise.",
  ListUnitPrice: "USD per PricingUnit at list price: the SKU's list price, a charged execution's credits × credit price, the credit price for purchases; null otherwise.",
  PricingCategory: "Standard on usage, charged executions and purchases; null otherwise.",
  PricingCurrency: "Always Credits: the virtual currency prices are published in.",
  PricingCurrencyContractedUnitPrice: "Credits per PricingUnit at the contracted price: the SKU's credits per unit, a charged execution's credits, 1 for purchases; null otherwise.",
  PricingCurrencyEffectiveCost: "Credits burned by usage and charged executions; 0 on every other row.",
  PricingCurrencyListUnitPrice: "Credits per PricingUnit at list price: the SKU's credits per unit, a charged execution's credits, 1 for purchases; null otherwise.",
  PricingQuantity: "Quantity in PricingUnit: usage units, credits bought, 1 for a charged execution; null otherwise.",
  PricingUnit: "The SKU's unit, Credits for purchases, Executions for charged executions; null otherwise.",
  ProviderName: "The gateway's provider name (a column deprecated in FOCUS 1.3 but still mandatory).",
  PublisherName: "The gateway's provider name (a column deprecated in FOCUS 1.3 but still mandatory).",
  ResourceId: "The usage record's resourceId; null when it has none and on ledger rows.",
  ResourceName: "Always null: resources have no names here.",
  ResourceType: "The usage record's resource kind in lower case (sandbox, computer, storage, inference) when it has a ResourceId; else null.",
  ServiceCategory: "The SKU's service category; Integration for charged executions; Other for other ledger rows.",
  ServiceName: "The SKU's service; Workflow executions for charged executions; Credits for other ledger rows.",
  ServiceProviderName: "The gateway's provider name (Billing Gateway unless configured).",
  ServiceSubcategory: "The SKU's service subcategory; Workflow Orchestration for charged executions; Other (Other) for other ledger rows.",
  SkuId: "The SKU's key, workflow-execution for charged executions, credits for purchases; null otherwise.",
  SkuMeter: "The SKU's meter, Executions for charged executions, Credits for purchases; null otherwise.",
  SkuPriceDetails: "JSON of the SKU's price on usage rows: x_CreditsPerUnit and x_ListPriceUsd; null otherwise.",
  SkuPriceId: "<sku>@list for usage, workflow-execution@credits for charged executions, credits@usd for purchases; null otherwise.",
  SubAccountId: "The workspace's id.",
  SubAccountName: "The workspace's name.",
  SubAccountType: "Always Workspace.",
  Tags: "JSON of a usage record's tags (bg/model, bg/externalUserId, bg/externalProjectId); null when it has none and on ledger rows.",
  x_Credits: "Signed credits the row moved: negative for usage, charged executions, expirations and negative adjustments; positive for purchases, grants, refunds and goodwill.",
  x_CreditTransactionId: "The ledger row's id; null on usage-record rows, which x_UsageRecordId names.",
  x_CreditTransactionType: "usage, purchase, grant, refund, adjustment or expiration.",
  x_UsageRecordId: "The usage record's id; null on ledger rows.",
  x_ExecutionId: "The charged execution's id; null otherwise.",
  x_ApiKeyId: "Id of the API key that recorded the usage; null otherwise.",
  x_ExternalUserId: "The usage record's externalUserId; null otherwise.",
  x_ExternalProjectId: "The usage record's externalProjectId; null otherwise.",
  x_Model: "The usage record's model; null otherwise.",
};

/** What each Contract Commitment column holds: one row per purchase. */
const COMMITMENT_COLUMN_DESCRIPTIONS: Record<CommitmentColumnName, string> = {
  BillingCurrency: "Always USD.",
  ContractCommitmentCategory: "Always Spend.",
  ContractCommitmentCost: "The money paid for the purchase, in USD.",
  ContractCommitmentDescription: "The purchase's description.",
  ContractCommitmentId: "The purchase's credit lot id, as Cost and Usage rows name it in ContractApplied.",
  ContractCommitmentPeriodEnd: "End of the purchase's term: its credits' expiry, or 365 days after the purchase without one.",
  ContractCommitmentPeriodStart: "Start of the purchase's term: when it was posted, to the second.",
  ContractCommitmentQuantity: "Credits bought.",
  ContractCommitmentType: "Always Prepaid Credits.",
  ContractCommitmentUnit: "Always Credits.",
  ContractId: "The purchase's ledger row id (x_CreditTransactionId of its Purchase row): one purchase, one contract.",
  ContractPeriodEnd: "Same as ContractCommitmentPeriodEnd.",
  ContractPeriodStart: "Same as ContractCommitmentPeriodStart.",
  x_BillingAccountId: "The organization's id, to join with Cost and Usage BillingAccountId.",
  x_InvoiceIssuerName: "The gateway's provider name (Billing Gateway unless configured).",
  x_PricingCurrency: "Always Credits.",
  x_SubAccountId: "The workspace's id, to join with Cost and Usage SubAccountId.",
};

const FocusRowPage = rowTypes(
  "FocusRow",
  "FocusRowConnection",
  "One FOCUS 1.3 Cost and Usage row; decimals are exact strings, JSON columns serialized JSON, as in the files.",
  FOCUS_COLUMNS,
  FOCUS_COLUMN_DESCRIPTIONS,
);
const CommitmentPage = rowTypes(
  "FocusContractCommitment",
  "FocusContractCommitmentConnection",
  "One FOCUS 1.3 Contract Commitment row (a purchase); decimals are exact strings, as in the files.",
  COMMITMENT_COLUMNS,
  COMMITMENT_COLUMN_DESCRIPTIONS,
);

export const FocusDatasetEnum = builder.enumType("FocusDataset", {
  description: "A FOCUS 1.3 dataset.",
  values: {
    COST_AND_USAGE: { value: "cost-and-usage", description: "Cost and Usage: ledger rows other than metered charges, then the usage records." },
    CONTRACT_COMMITMENT: { value: "contract-commitment", description: "Contract Commitment: the purchases." },
  } as const,
});

const pageArgs = builder.args((t) => ({
  from: t.field({ type: "DateTime", required: true, description: "Start of the range (inclusive)." }),
  to: t.field({ type: "DateTime", required: true, description: "End of the range (exclusive), at most 365 days after from." }),
  first: t.int({ required: false, defaultValue: GRAPHQL_PAGE.default, description: "Rows in the page, 1–500." }),
  after: t.string({ required: false, description: "A cursor this connection issued (same workspace): rows after that row." }),
}));

builder.prismaObjectFields("Workspace", (t) => ({
  focusRows: t.field({
    type: FocusRowPage,
    nullable: true,
    description: "FOCUS 1.3 rows of [from, to), in export order (ledger rows, then usage in time order). Counts against the caller's FOCUS rate limit.",
    args: pageArgs,
    resolve: (workspace, args, ctx) => focusRowsPage(ctx, workspace, "cost-and-usage", args),
  }),
  focusContractCommitments: t.field({
    type: CommitmentPage,
    nullable: true,
    description: "FOCUS 1.3 Contract Commitment rows: the purchases whose term overlaps [from, to), in lot order. Counts against the caller's FOCUS rate limit.",
    args: pageArgs,
    resolve: (workspace, args, ctx) => focusRowsPage(ctx, workspace, "contract-commitment", args),
  }),
  focusMetadata: t.field({
    type: "JSONObject",
    nullable: true,
    description: "FOCUS 1.3 metadata of a dataset over [from, to), as served by /api/billing/focus-metadata. Counts against the caller's FOCUS rate limit.",
    args: {
      from: t.arg({ type: "DateTime", required: true, description: "Start of the range (inclusive)." }),
      to: t.arg({ type: "DateTime", required: true, description: "End of the range (exclusive), at most 365 days after from." }),
      dataset: t.arg({ type: FocusDatasetEnum, required: false, defaultValue: "cost-and-usage", description: "Which dataset to describe." }),
    },
    resolve: (workspace, args, ctx) => focusMetadata(ctx, workspace, args, (args.dataset ?? "cost-and-usage") as FocusDataset),
  }),
}));
