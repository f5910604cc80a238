// FOCUS export jobs and the monthly delivery over GraphQL, from the same domain functions as REST.
import {
  cancelFocusExport, exportFiles, focusDelivery, focusExportJobsConnection, removeFocusDelivery, setFocusDelivery, startFocusExport,
  type ExportFileView, type ExportFormat, type ExportLayout,
} from "../../domain/focus/export-jobs.js";
import type { FocusDataset } from "../../domain/focus/rows.js";
import { builder } from "../builder.js";
import { TOTAL_COUNT, totalCount } from "./connections.js";
import { MUTATION_ERRORS } from "./errors.js";
import { FocusDatasetEnum } from "./focus.js";
import { WorkspaceRef, workspaceTarget } from "./workspace.js";

const FocusExportFormatEnum = builder.enumType("FocusExportFormat", {
  description: "A FOCUS file format.",
  values: {
    PARQUET: { value: "parquet", description: "Apache Parquet: decimals as DECIMAL(38, scale), date-times as UTC timestamps, a row group per 10,000 rows." },
    CSV: { value: "csv", description: "RFC 4180 CSV with a header." },
    JSONL: { value: "jsonl", description: "One JSON object per line." },
  } as const,
});

const FocusExportLayoutEnum = builder.enumType("FocusExportLayout", {
  description: "How an export job lays out its files.",
  values: {
    SINGLE: { value: "single", description: "The range as one file set (part-00000.<format>, …)." },
    FINOPS_HUB: { value: "finops-hub", description: "Each UTC month the range touches, whole, under <dataset>/<yyyy>/<mm>/ with a manifest.json." },
  } as const,
});

const FocusExportStateEnum = builder.enumType("FocusExportState", {
  description: "Where an export job stands.",
  values: {
    QUEUED: { description: "Waiting for a gateway process." },
    RUNNING: { description: "Being written; progress moves." },
    SUCCEEDED: { description: "Written; each file has a signed URL until its retention ends." },
    FAILED: { description: "Stopped; error says why." },
    CANCELLED: { description: "Cancelled; nothing of it is kept." },
  } as const,
});

const FocusExportFile = builder.objectRef<ExportFileView>("FocusExportFile").implement({
  description: "A file an export job wrote.",
  fields: (t) => ({
    path: t.exposeString("path", { description: "Relative to the job, with / between folders." }),
    url: t.exposeString("url", { nullable: true, description: "Signed download URL, relative to the gateway; no API key needed. Null once the files are deleted." }),
    rows: t.exposeInt("rows", { description: "FOCUS rows in the file (0 for a manifest)." }),
    bytes: t.exposeInt("bytes", { description: "Its size in bytes." }),
    sha256: t.exposeString("sha256", { description: "Hex SHA-256 of its bytes." }),
  }),
});

const FocusExportProgress = builder.objectRef<{ rows: number; bytes: number }>("FocusExportProgress").implement({
  description: "What an export job has written so far.",
  fields: (t) => ({
    rows: t.exposeInt("rows", { description: "Rows written." }),
    bytes: t.float({ description: "Bytes written (a whole number; Float as it may pass 2^31).", resolve: (p) => p.bytes }),
  }),
});

export const FocusExportJobRef = builder.prismaNode("FocusExportJob", {
  id: { field: "id" },
  nullable: true,
  description: "An asynchronous FOCUS 1.3 export, run by whichever gateway process claims it.",
  fields: (t) => ({
    state: t.field({ type: FocusExportStateEnum, description: "Where the job stands.", resolve: (job) => job.state }),
    dataset: t.field({ type: FocusDatasetEnum, description: "The dataset it exports.", resolve: (job) => job.dataset as FocusDataset }),
    format: t.field({ type: FocusExportFormatEnum, description: "Its files' format.", resolve: (job) => job.format as ExportFormat }),
    layout: t.field({ type: FocusExportLayoutEnum, description: "Its files' layout.", resolve: (job) => job.layout as ExportLayout }),
    from: t.expose("rangeFrom", { type: "DateTime", description: "Start of the range (inclusive)." }),
    to: t.expose("rangeTo", { type: "DateTime", description: "End of the range (exclusive)." }),
    deliveryMonth: t.exposeString("deliveryMonth", { nullable: true, description: "YYYY-MM for a job of the monthly delivery; null for one a caller started." }),
    progress: t.field({ type: FocusExportProgress, description: "Rows and bytes written so far.", resolve: (job) => ({ rows: Number(job.rows), bytes: Number(job.bytes) }) }),
    files: t.field({ type: [FocusExportFile], description: "Its files, once succeeded.", resolve: (job, _args, ctx) => exportFiles(ctx, job) }),
    error: t.exposeString("error", { nullable: true, description: "Why it failed." }),
    attempts: t.exposeInt("attempts", { description: "Runs started: more than one when a process running it stopped." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was queued." }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true, description: "When its last run started." }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true, description: "When it ended." }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true, description: "When its files are deleted." }),
  }),
});

const FocusDeliveryRef = builder.prismaObject("FocusDelivery", {
  description: "A workspace's standing monthly FOCUS delivery: each closed UTC month once after it closes, the open month again each UTC day.",
  fields: (t) => ({
    dataset: t.field({ type: FocusDatasetEnum, description: "The dataset delivered.", resolve: (d) => d.dataset as FocusDataset }),
    format: t.field({ type: FocusExportFormatEnum, description: "The files' format.", resolve: (d) => d.format as ExportFormat }),
    layout: t.field({ type: FocusExportLayoutEnum, description: "The files' layout.", resolve: (d) => d.layout as ExportLayout }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it was last set." }),
  }),
});

builder.prismaObjectFields("Workspace", (t) => ({
  focusExportJobs: t.connection(
    {
      type: FocusExportJobRef,
      nullable: true,
      description: "Export jobs, newest first (read:billing).",
      resolve: (workspace, args, ctx) => focusExportJobsConnection(ctx, workspace, args),
    },
    { description: "A page of export jobs.", fields: (c) => ({ totalCount: c.int({ description: TOTAL_COUNT, resolve: totalCount }) }) },
    { description: "An export job and its cursor." },
  ),
  focusDelivery: t.field({
    type: FocusDeliveryRef,
    nullable: true,
    description: "The monthly delivery, if one is set (read:billing).",
    resolve: (workspace, _args, ctx) => focusDelivery(ctx, workspace),
  }),
}));

const StartFocusExportInput = builder.inputType("StartFocusExportInput", {
  description: "An export to run in the background.",
  fields: (t) => ({
    workspaceId: t.globalID({ for: WorkspaceRef, description: "Defaults to the caller's workspace." }),
    from: t.field({ type: "DateTime", required: true, description: "Start of the range (inclusive)." }),
    to: t.field({ type: "DateTime", required: true, description: "End of the range (exclusive), at most 365 days after from." }),
    dataset: t.field({ type: FocusDatasetEnum, description: "Default COST_AND_USAGE." }),
    format: t.field({ type: FocusExportFormatEnum, description: "Default PARQUET." }),
    layout: t.field({ type: FocusExportLayoutEnum, description: "Default SINGLE." }),
  }),
});

const SetFocusDeliveryInput = builder.inputType("SetFocusDeliveryInput", {
  description: "The monthly delivery to set.",
  fields: (t) => ({
    workspaceId: t.globalID({ for: WorkspaceRef, description: "Defaults to the caller's workspace." }),
    dataset: t.field({ type: FocusDatasetEnum, description: "Default COST_AND_USAGE." }),
    format: t.field({ type: FocusExportFormatEnum, description: "Default PARQUET." }),
    layout: t.field({ type: FocusExportLayoutEnum, description: "Default FINOPS_HUB." }),
  }),
});

builder.mutationFields((t) => ({
  startFocusExport: t.field({
    type: FocusExportJobRef,
    description: "Queues a FOCUS export (read:billing); counts against the FOCUS rate limit as one export.",
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: "StartFocusExportResult", description: "The queued job, or why none was queued." } },
    args: { input: t.arg({ type: StartFocusExportInput, required: true, description: "The export." }) },
    resolve: (_root, { input }, ctx) => startFocusExport(ctx, workspaceTarget(input.workspaceId), input),
  }),
  cancelFocusExport: t.field({
    type: FocusExportJobRef,
    description: "Cancels a queued or running export job (read:billing); its files are deleted. A finished job stays as it was.",
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: "CancelFocusExportResult", description: "The job, or why it could not be cancelled." } },
    args: { id: t.arg.globalID({ required: true, for: FocusExportJobRef, description: "Global id of the job." }) },
    resolve: (_root, { id }, ctx) => cancelFocusExport(ctx, id.id),
  }),
  setFocusDelivery: t.field({
    type: FocusDeliveryRef,
    description: "Sets the workspace's monthly FOCUS delivery (admin).",
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: "SetFocusDeliveryResult", description: "The delivery, or why it was not set." } },
    args: { input: t.arg({ type: SetFocusDeliveryInput, required: true, description: "The delivery." }) },
    resolve: (_root, { input }, ctx) => setFocusDelivery(ctx, workspaceTarget(input.workspaceId), input),
  }),
  removeFocusDelivery: t.boolean({
    description: "Stops the workspace's monthly delivery (admin); true if one was set.",
    args: { workspaceId: t.arg.globalID({ for: WorkspaceRef, description: "Defaults to the caller's workspace." }) },
    resolve: (_root, { workspaceId }, ctx) => removeFocusDelivery(ctx, workspaceTarget(workspaceId)),
  }),
}));
