import type { UsageRecord } from "../../db/generated/client.js";
import { encodeGlobalId } from "../../domain/rules/global-ids.js";
import { recordUsage, usageRecordApiKey, usageRecordsConnection, type UsageBatchResult, type UsageOutcome } from "../../domain/usage.js";
import { builder } from "../builder.js";
import { ApiKeyRef } from "./api-key.js";
import { TOTAL_COUNT, totalCount } from "./connections.js";
import { ResourceKindEnum, SortOrderEnum, UsageCurrencyEnum } from "./enums.js";
import { MUTATION_ERRORS } from "./errors.js";
import { CreditBalanceRef, WorkspaceRef } from "./workspace.js";

const InferenceDetails = builder.objectRef<UsageRecord>("InferenceDetails").implement({
  description: "Details of an inference charge, as in the Billing Usage API.",
  fields: (t) => ({
    requestId: t.exposeString("requestId", { nullable: true }),
    inferenceExecutionTime: t.exposeInt("inferenceExecutionTimeMs", { nullable: true, description: "Milliseconds." }),
    promptTokens: t.exposeInt("promptTokens", { nullable: true }),
    completionTokens: t.exposeInt("completionTokens", { nullable: true }),
    cacheReadTokens: t.exposeInt("cacheReadTokens", { nullable: true }),
    cacheWriteTokens: t.exposeInt("cacheWriteTokens", { nullable: true }),
  }),
});

// Readable with read:billing in its workspace, through listings and node(id) alike.
export const UsageRecordRef = builder.prismaNode("UsageRecord", {
  id: { field: "id" },
  nullable: true,
  fields: (t) => ({
    timestamp: t.expose("occurredAt", { type: "DateTime", description: "When the charge happened." }),
    sku: t.relation("sku"),
    skuId: t.exposeString("skuId"),
    pricePerUnitUsd: t.field({ type: "Decimal", resolve: (r) => r.pricePerUnitUsd }),
    unit: t.field({ type: "Decimal", description: "Units consumed (the source API calls this field unit).", resolve: (r) => r.units }),
    amount: t.field({ type: "Decimal", description: "Amount charged, in currency.", resolve: (r) => r.amount }),
    currency: t.field({ type: UsageCurrencyEnum, resolve: (r) => r.currency }),
    costUsd: t.field({ type: "Decimal", description: "List value in USD.", resolve: (r) => r.costUsd }),
    credits: t.field({ type: "Decimal", description: "Credits debited for it.", resolve: (r) => r.credits }),
    notes: t.exposeString("notes", { nullable: true }),
    inferenceDetails: t.field({
      type: InferenceDetails,
      nullable: true,
      resolve: (r) => (r.requestId || r.promptTokens != null || r.inferenceExecutionTimeMs != null ? r : null),
    }),
    model: t.exposeString("model", { nullable: true }),
    apiKey: t.prismaField({
      type: "ApiKey",
      nullable: true,
      description: "The key that recorded it (admins of the workspace only).",
      resolve: (query, record, _args, ctx) => usageRecordApiKey(ctx, record, query),
    }),
    externalUserId: t.exposeString("externalUserId", { nullable: true }),
    externalProjectId: t.exposeString("externalProjectId", { nullable: true }),
    resourceKind: t.field({ type: ResourceKindEnum, resolve: (r) => r.resourceKind }),
    resourceId: t.exposeString("resourceId", { nullable: true }),
    idempotencyKey: t.exposeString("idempotencyKey"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.prismaNode("Sku", {
  id: { field: "id" },
  description: "A price-list entry.",
  fields: (t) => ({
    skuId: t.exposeString("id", { description: "The SKU's key, as recordUsage, REST and FOCUS SkuId name it." }),
    name: t.exposeString("name"),
    meter: t.exposeString("meter"),
    unit: t.exposeString("unit"),
    listPriceUsd: t.field({ type: "Decimal", resolve: (s) => s.listPriceUsd }),
    creditsPerUnit: t.field({ type: "Decimal", resolve: (s) => s.creditsPerUnit }),
    resourceKind: t.field({ type: ResourceKindEnum, resolve: (s) => s.resourceKind }),
    model: t.exposeString("model", { nullable: true }),
    serviceName: t.exposeString("serviceName"),
    serviceCategory: t.exposeString("serviceCategory"),
    serviceSubcategory: t.exposeString("serviceSubcategory"),
  }),
});

builder.prismaObjectField("Workspace", "usageRecords", (t) =>
  t.connection(
    {
      type: UsageRecordRef,
      nullable: true,
      description: "Metered charges, newest first by default.",
      args: {
        from: t.arg({ type: "DateTime", required: false, description: "Inclusive." }),
        to: t.arg({ type: "DateTime", required: false, description: "Exclusive." }),
        currency: t.arg({ type: UsageCurrencyEnum, required: false }),
        sku: t.arg.string({ required: false }),
        model: t.arg.string({ required: false }),
        apiKeyId: t.arg.globalID({ required: false, for: ApiKeyRef }),
        externalUserId: t.arg.string({ required: false }),
        externalProjectId: t.arg.string({ required: false }),
        order: t.arg({ type: SortOrderEnum, required: false, defaultValue: "NEWEST_FIRST" }),
      },
      resolve: (workspace, args, ctx) => usageRecordsConnection(ctx, workspace, { ...args, apiKeyId: args.apiKeyId?.id }, args),
    },
    { fields: (t) => ({ totalCount: t.int({ description: TOTAL_COUNT, resolve: totalCount }) }) },
  ),
);

const UsageRecordInput = builder.inputType("UsageRecordInput", {
  fields: (t) => ({
    idempotencyKey: t.string({ required: true, description: "Unique per workspace; a repeat is reported as DUPLICATE." }),
    sku: t.string({ required: true }),
    units: t.field({ type: "Decimal", required: true }),
    currency: t.field({ type: UsageCurrencyEnum, description: "Defaults to USD." }),
    occurredAt: t.field({ type: "DateTime", description: "Defaults to now." }),
    notes: t.string(),
    requestId: t.string(),
    inferenceExecutionTimeMs: t.int(),
    promptTokens: t.int(),
    completionTokens: t.int(),
    cacheReadTokens: t.int(),
    cacheWriteTokens: t.int(),
    model: t.string({ description: "Defaults to the SKU's model." }),
    externalUserId: t.string(),
    externalProjectId: t.string(),
    resourceKind: t.field({ type: ResourceKindEnum, description: "Defaults to the SKU's." }),
    resourceId: t.string(),
  }),
});

const UsageRecordStatus = builder.enumType("UsageRecordStatus", { values: ["ACCEPTED", "DUPLICATE", "REJECTED"] as const });

const RejectionReason = builder.objectRef<{ code: string; message: string; path: string[] }>("UsageRejection").implement({
  fields: (t) => ({
    code: t.exposeString("code", { description: "VALIDATION_ERROR, UNKNOWN_SKU or INSUFFICIENT_CREDITS." }),
    message: t.exposeString("message"),
    path: t.exposeStringList("path"),
  }),
});

const UsageRecordResult = builder.objectRef<UsageOutcome>("UsageRecordResult").implement({
  fields: (t) => ({
    index: t.exposeInt("index", { description: "Position in the request." }),
    idempotencyKey: t.string({ nullable: true, resolve: (r) => r.idempotencyKey }),
    status: t.field({ type: UsageRecordStatus, resolve: (r) => r.status }),
    usageRecord: t.field({
      type: UsageRecordRef,
      nullable: true,
      description: "The stored record: the one accepted, or for a duplicate the one stored earlier under its key (null for a duplicate unless the caller has read:billing).",
      resolve: (r, _args, ctx) =>
        r.status === "ACCEPTED" ? r.record : r.status === "DUPLICATE" ? ctx.loaders.duplicateRecord.load({ workspaceId: r.workspaceId, id: r.existingId }) : null,
    }),
    existingUsageRecordId: t.id({
      nullable: true,
      description: "For duplicates: the global id of the record stored under the key.",
      resolve: (r) => (r.status === "DUPLICATE" ? encodeGlobalId("UsageRecord", r.existingId) : null),
    }),
    reason: t.field({ type: RejectionReason, nullable: true, resolve: (r) => (r.status === "REJECTED" ? r : null) }),
  }),
});

const RecordUsagePayload = builder.objectRef<UsageBatchResult>("RecordUsagePayload").implement({
  fields: (t) => ({
    accepted: t.exposeInt("accepted"),
    duplicates: t.exposeInt("duplicates"),
    rejected: t.exposeInt("rejected"),
    creditsDebited: t.field({ type: "Decimal", resolve: (r) => r.creditsDebited }),
    creditBalance: t.field({
      type: CreditBalanceRef,
      nullable: true,
      description: "The workspace's balance once the batch was written (writes that came after it may count too), so that a client need not read it again; null unless the caller has read:billing.",
      resolve: (r) => r.balance(),
    }),
    results: t.field({ type: [UsageRecordResult], resolve: (r) => r.results }),
  }),
});

builder.mutationField("recordUsage", (t) =>
  t.field({
    type: RecordUsagePayload,
    description: "Records up to 1,000 charges (write:usage). Each is debited from the credit balance in the transaction that stores it.",
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: "RecordUsageResult" } },
    args: {
      workspaceId: t.arg.globalID({ for: WorkspaceRef, required: false, description: "Defaults to the caller's workspace." }),
      records: t.arg({ type: [UsageRecordInput], required: true }),
    },
    resolve: (_root, args, ctx) => recordUsage(ctx, { id: args.workspaceId?.id ?? null }, args.records),
  }),
);
