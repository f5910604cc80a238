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
    requestId: t.exposeString("requestId", { nullable: true, description: "The request id sent with the charge (for example the provider's)." }),
    inferenceExecutionTime: t.exposeInt("inferenceExecutionTimeMs", { nullable: true, description: "Milliseconds." }),
    promptTokens: t.exposeInt("promptTokens", { nullable: true, description: "Input (prompt) tokens; null when not sent." }),
    completionTokens: t.exposeInt("completionTokens", { nullable: true, description: "Output (completion) tokens; null when not sent." }),
    cacheReadTokens: t.exposeInt("cacheReadTokens", { nullable: true, description: "Tokens read from a prompt cache; null when not sent." }),
    cacheWriteTokens: t.exposeInt("cacheWriteTokens", { nullable: true, description: "Tokens written to a prompt cache; null when not sent." }),
  }),
});

// Readable with read:billing in its workspace, through listings and node(id) alike.
export const UsageRecordRef = builder.prismaNode("UsageRecord", {
  id: { field: "id" },
  nullable: true,
  description: "One metered charge, priced from its SKU and debited from the credit balance when recorded (read:billing).",
  fields: (t) => ({
    timestamp: t.expose("occurredAt", { type: "DateTime", description: "When the charge happened." }),
    sku: t.relation("sku", { description: "The SKU charged." }),
    skuId: t.exposeString("skuId", { description: "The SKU's key." }),
    pricePerUnitUsd: t.field({ type: "Decimal", description: "The SKU's list price per unit in USD when the charge was recorded.", resolve: (r) => r.pricePerUnitUsd }),
    unit: t.field({ type: "Decimal", description: "Units consumed (the source API calls this field unit).", resolve: (r) => r.units }),
    amount: t.field({ type: "Decimal", description: "Amount charged, in currency.", resolve: (r) => r.amount }),
    currency: t.field({ type: UsageCurrencyEnum, description: "The currency amount is in.", resolve: (r) => r.currency }),
    costUsd: t.field({ type: "Decimal", description: "List value in USD.", resolve: (r) => r.costUsd }),
    credits: t.field({ type: "Decimal", description: "Credits debited for it.", resolve: (r) => r.credits }),
    notes: t.exposeString("notes", { nullable: true, description: "Free text sent with the charge." }),
    inferenceDetails: t.field({
      type: InferenceDetails,
      nullable: true,
      description: "Inference details; null unless a request id, prompt tokens or an execution time was sent.",
      resolve: (r) => (r.requestId || r.promptTokens != null || r.inferenceExecutionTimeMs != null ? r : null),
    }),
    model: t.exposeString("model", { nullable: true, description: "The model as sent, else the SKU's; null when neither names one." }),
    apiKey: t.prismaField({
      type: "ApiKey",
      nullable: true,
      description: "The key that recorded it (admins of the workspace only).",
      resolve: (query, record, _args, ctx) => usageRecordApiKey(ctx, record, query),
    }),
    externalUserId: t.exposeString("externalUserId", { nullable: true, description: "Your own user the charge is for, as sent." }),
    externalProjectId: t.exposeString("externalProjectId", { nullable: true, description: "Your own project the charge is for, as sent." }),
    resourceKind: t.field({ type: ResourceKindEnum, description: "As sent, else the SKU's.", resolve: (r) => r.resourceKind }),
    resourceId: t.exposeString("resourceId", { nullable: true, description: "The resource used (a sandbox, a volume…), as sent." }),
    idempotencyKey: t.exposeString("idempotencyKey", { description: "The key it was recorded under, unique in the workspace." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the gateway stored it." }),
  }),
});

builder.prismaNode("Sku", {
  id: { field: "id" },
  description: "A price-list entry.",
  fields: (t) => ({
    skuId: t.exposeString("id", { description: "The SKU's key, as recordUsage, REST and FOCUS SkuId name it." }),
    name: t.exposeString("name", { description: "Display name." }),
    meter: t.exposeString("meter", { description: "What is measured, for example Input Tokens (FOCUS SkuMeter)." }),
    unit: t.exposeString("unit", { description: "The unit its price is per, for example 1000 Tokens or GB-Hours (FOCUS PricingUnit)." }),
    listPriceUsd: t.field({ type: "Decimal", description: "List price of one unit in USD.", resolve: (s) => s.listPriceUsd }),
    creditsPerUnit: t.field({ type: "Decimal", description: "Credits debited per unit.", resolve: (s) => s.creditsPerUnit }),
    resourceKind: t.field({ type: ResourceKindEnum, description: "The resource kind of its charges, unless a record says otherwise.", resolve: (s) => s.resourceKind }),
    model: t.exposeString("model", { nullable: true, description: "The model it meters, the default model of its charges; null when none." }),
    serviceName: t.exposeString("serviceName", { description: "The service it belongs to (FOCUS ServiceName)." }),
    serviceCategory: t.exposeString("serviceCategory", { description: "FOCUS ServiceCategory of the service." }),
    serviceSubcategory: t.exposeString("serviceSubcategory", { description: "FOCUS ServiceSubcategory of the service." }),
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
        currency: t.arg({ type: UsageCurrencyEnum, required: false, description: "Only charges in this currency." }),
        sku: t.arg.string({ required: false, description: "Only charges of this SKU (its key)." }),
        model: t.arg.string({ required: false, description: "Only charges with exactly this model." }),
        apiKeyId: t.arg.globalID({ required: false, for: ApiKeyRef, description: "Only charges recorded with this API key." }),
        externalUserId: t.arg.string({ required: false, description: "Only charges with exactly this externalUserId." }),
        externalProjectId: t.arg.string({ required: false, description: "Only charges with exactly this externalProjectId." }),
        order: t.arg({ type: SortOrderEnum, required: false, defaultValue: "NEWEST_FIRST", description: "By timestamp." }),
      },
      resolve: (workspace, args, ctx) => usageRecordsConnection(ctx, workspace, { ...args, apiKeyId: args.apiKeyId?.id }, args),
    },
    {
      description: "A page of a workspace's usage records.",
      fields: (t) => ({ totalCount: t.int({ description: TOTAL_COUNT, resolve: totalCount }) }),
    },
    { description: "A usage record and its cursor." },
  ),
);

const UsageRecordInput = builder.inputType("UsageRecordInput", {
  description: "One metered charge to record; the SKU prices it.",
  fields: (t) => ({
    idempotencyKey: t.string({ required: true, description: "Unique per workspace; a repeat is reported as DUPLICATE." }),
    sku: t.string({ required: true, description: "The SKU's key (Sku.skuId); an unknown one is rejected with UNKNOWN_SKU." }),
    units: t.field({ type: "Decimal", required: true, description: "Units consumed, in the SKU's unit: positive, at most 6 decimals." }),
    currency: t.field({ type: UsageCurrencyEnum, description: "Defaults to USD." }),
    occurredAt: t.field({ type: "DateTime", description: "Defaults to now." }),
    notes: t.string({ description: "Free text, up to 1,000 characters." }),
    requestId: t.string({ description: "A request id to keep with the charge (for example the provider's), up to 200 characters." }),
    inferenceExecutionTimeMs: t.int({ description: "Inference time in milliseconds, at most a day." }),
    promptTokens: t.int({ description: "Input (prompt) tokens." }),
    completionTokens: t.int({ description: "Output (completion) tokens." }),
    cacheReadTokens: t.int({ description: "Tokens read from a prompt cache." }),
    cacheWriteTokens: t.int({ description: "Tokens written to a prompt cache." }),
    model: t.string({ description: "Defaults to the SKU's model." }),
    externalUserId: t.string({ description: "Your own user the charge is for; rollups and filters can group by it." }),
    externalProjectId: t.string({ description: "Your own project the charge is for; rollups and filters can group by it." }),
    resourceKind: t.field({ type: ResourceKindEnum, description: "Defaults to the SKU's." }),
    resourceId: t.string({ description: "The resource used (a sandbox, a volume…); up to 200 characters." }),
  }),
});

const UsageRecordStatus = builder.enumType("UsageRecordStatus", {
  description: "What happened to one record of a recordUsage batch.",
  values: {
    ACCEPTED: { description: "Stored, with its credits debited in the same transaction." },
    DUPLICATE: { description: "Its idempotency key was stored before (or earlier in the batch); nothing new was written." },
    REJECTED: { description: "Refused, for the reason given; the batch's other records are not affected." },
  } as const,
});

const RejectionReason = builder.objectRef<{ code: string; message: string; path: string[] }>("UsageRejection").implement({
  description: "Why a record was refused.",
  fields: (t) => ({
    code: t.exposeString("code", { description: "VALIDATION_ERROR, UNKNOWN_SKU or INSUFFICIENT_CREDITS." }),
    message: t.exposeString("message", { description: "The reason, for people." }),
    path: t.exposeStringList("path", { description: "Path of the offending field in the record; empty when no one field is at fault." }),
  }),
});

const UsageRecordResult = builder.objectRef<UsageOutcome>("UsageRecordResult").implement({
  description: "The outcome of one record of a batch.",
  fields: (t) => ({
    index: t.exposeInt("index", { description: "Position in the request." }),
    idempotencyKey: t.string({
      nullable: true,
      description: "The record's idempotency key; null when a rejected record had none.",
      resolve: (r) => r.idempotencyKey,
    }),
    status: t.field({ type: UsageRecordStatus, description: "Accepted, duplicate or rejected.", resolve: (r) => r.status }),
    usageRecord: t.field({
      type: UsageRecordRef,
      nullable: true,
      description: "The stored record: the one accepted, or for a duplicate the one stored earlier under its key (null for a duplicate unless the caller has read:billing).",
      resolve: (r, _args, ctx) =>
        r.status === "ACCEPTED" ? r.record : r.status === "DUPLICATE" ? ctx.loaders.usageRecord.load({ workspaceId: r.workspaceId, id: r.existingId }) : null,
    }),
    existingUsageRecordId: t.id({
      nullable: true,
      description: "For duplicates: the global id of the record stored under the key.",
      resolve: (r) => (r.status === "DUPLICATE" ? encodeGlobalId("UsageRecord", r.existingId) : null),
    }),
    reason: t.field({ type: RejectionReason, nullable: true, description: "Why it was rejected; null unless REJECTED.", resolve: (r) => (r.status === "REJECTED" ? r : null) }),
  }),
});

const RecordUsagePayload = builder.objectRef<UsageBatchResult>("RecordUsagePayload").implement({
  description: "What happened to a batch of usage records.",
  fields: (t) => ({
    accepted: t.exposeInt("accepted", { description: "Records stored and debited." }),
    duplicates: t.exposeInt("duplicates", { description: "Records whose idempotency key was stored before or earlier in the batch." }),
    rejected: t.exposeInt("rejected", { description: "Records refused." }),
    creditsDebited: t.field({ type: "Decimal", description: "Credits debited for the accepted records.", resolve: (r) => r.creditsDebited }),
    creditBalance: t.field({
      type: CreditBalanceRef,
      nullable: true,
      description: "The workspace's balance once the batch was written (writes that came after it may count too), so that a client need not read it again; null unless the caller has read:billing.",
      resolve: (r) => r.balance(),
    }),
    results: t.field({ type: [UsageRecordResult], description: "One result per record, in request order.", resolve: (r) => r.results }),
  }),
});

builder.mutationField("recordUsage", (t) =>
  t.field({
    type: RecordUsagePayload,
    description: "Records up to 1,000 charges (write:usage). Each is debited from the credit balance in the transaction that stores it.",
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: "RecordUsageResult", description: "The batch's outcome, or why the whole batch was refused (nothing written)." },
    },
    args: {
      workspaceId: t.arg.globalID({ for: WorkspaceRef, required: false, description: "Defaults to the caller's workspace." }),
      records: t.arg({ type: [UsageRecordInput], required: true, description: "1 to 1,000 records; each is accepted, a duplicate or rejected on its own." }),
    },
    resolve: (_root, args, ctx) => recordUsage(ctx, { id: args.workspaceId?.id ?? null }, args.records),
  }),
);
