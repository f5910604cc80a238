// Asynchronous FOCUS exports: a caller (or the standing monthly delivery) queues a job; whichever
// gateway process claims it writes its files (src/jobs/focus-exports.ts); its files are fetched
// through signed URLs that need no API key. Every rule of them is here: what a job covers, who may
// start, read and cancel it, what a signature proves, and when a delivery is due.
import crypto from "node:crypto";
import type { FocusDelivery, FocusExportJob, Prisma } from "../../db/generated/client.js";
import { requestExportCancel, type ExportFileEntry } from "../../store/focus-export-jobs.js";
import { keysetConnection, type Connection, type ConnectionArgs } from "../connections.js";
import type { RequestContext } from "../context.js";
import { DomainError, NotFoundError, ValidationError } from "../errors.js";
import { UUID } from "../rules/ids.js";
import { readEpochMs } from "../rules/instants.js";
import { workspaceFor, type WorkspaceTarget } from "../workspaces.js";
import { focusRequest, FOCUS_DATASETS, type FocusDataset } from "./rows.js";

export const EXPORT_FORMATS = ["jsonl", "csv", "parquet"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_LAYOUTS = ["single", "finops-hub"] as const;
export type ExportLayout = (typeof EXPORT_LAYOUTS)[number];

export interface ExportJobInput {
  from?: Date | null;
  to?: Date | null;
  dataset?: FocusDataset | null;
  format?: ExportFormat | null;
  layout?: ExportLayout | null;
}

/** A job's files as its caller sees them: each with a signed URL while the files are kept. */
export interface ExportFileView extends ExportFileEntry {
  url: string | null;
}

/** Settings of a deployment that the export rules need (from the configuration). */
export interface ExportSettings {
  /** Where jobs' files are kept (EXPORT_DIR). */
  dir: string;
  retentionDays: number;
  urlTtlSeconds: number;
  /** Signs download URLs (EXPORT_URL_SECRET, or a secret the processes share in the database). */
  urlSecret: Buffer;
}

/** A signed URL that does not verify, or has expired: 403 without saying whose or what. */
export class ExportUrlError extends DomainError {
  readonly status = 403;
  constructor(readonly code: "INVALID_SIGNATURE" | "URL_EXPIRED") {
    super(code === "URL_EXPIRED" ? "This download URL has expired; ask for the job again for a fresh one" : "This download URL is not valid");
  }
}

/** The UTC month of an instant, as YYYY-MM. */
export const monthOf = (at: Date) => at.toISOString().slice(0, 7);
const monthStart = (year: number, month: number) => new Date(Date.UTC(year, month, 1));

/** The UTC months [from, to) touches, each as its window. */
export function monthsOf(window: { from: Date; to: Date }): { month: string; from: Date; to: Date }[] {
  const months = [];
  let start = monthStart(window.from.getUTCFullYear(), window.from.getUTCMonth());
  while (start < window.to) {
    const end = monthStart(start.getUTCFullYear(), start.getUTCMonth() + 1);
    months.push({ month: monthOf(start), from: start, to: end });
    start = end;
  }
  return months;
}

/** What one job writes: a file set per window, under its folder (single: the job's root). */
export interface FileSetPlan {
  folder: string;
  from: Date;
  to: Date;
  /** finops-hub: the month its manifest names. */
  month: string | null;
}

export function fileSets(job: Pick<FocusExportJob, "layout" | "dataset" | "rangeFrom" | "rangeTo">): FileSetPlan[] {
  if (job.layout !== "finops-hub") return [{ folder: "", from: job.rangeFrom, to: job.rangeTo, month: null }];
  return monthsOf({ from: job.rangeFrom, to: job.rangeTo }).map(({ month, from, to }) => ({ folder: `${job.dataset}/${month.replace("-", "/")}`, from, to, month }));
}

function checkedInput(input: ExportJobInput) {
  const dataset = input.dataset ?? "cost-and-usage";
  if (!Object.hasOwn(FOCUS_DATASETS, dataset)) throw ValidationError.single("dataset", `dataset must be one of ${Object.keys(FOCUS_DATASETS).join(", ")}`);
  const format = input.format ?? "parquet";
  if (!EXPORT_FORMATS.includes(format)) throw ValidationError.single("format", `format must be one of ${EXPORT_FORMATS.join(", ")}`);
  const layout = input.layout ?? "single";
  if (!EXPORT_LAYOUTS.includes(layout)) throw ValidationError.single("layout", `layout must be one of ${EXPORT_LAYOUTS.join(", ")}`);
  return { dataset, format, layout };
}

/**
 * Queues an export of [from, to) (read:billing; the range as the export route takes it, at most
 * 365 days). finops-hub covers every UTC month the range touches, whole, as FinOps hubs replace a
 * month at a time. Counts against the caller's FOCUS budget, as one export request.
 */
export async function startFocusExport(ctx: RequestContext, target: WorkspaceTarget, input: ExportJobInput): Promise<FocusExportJob> {
  const { workspace, window, checked } = await focusRequest(ctx, target, input, () => checkedInput(input));
  const months = monthsOf(window); // at most 13: the window is at most 365 days
  const range = checked.layout === "finops-hub" ? { rangeFrom: months[0]!.from, rangeTo: months.at(-1)!.to } : { rangeFrom: window.from, rangeTo: window.to };
  const job = await ctx.db.prisma.focusExportJob.create({ data: { workspaceId: workspace.id, ...checked, ...range, createdAt: ctx.clock.now() } });
  ctx.logger.info({ jobId: job.id, dataset: job.dataset, format: job.format, layout: job.layout }, "focus export queued");
  ctx.settings.exportJobs?.kick();
  return job;
}

/** A job the caller may read (read:billing in its workspace); not found otherwise. */
export async function focusExportJob(ctx: RequestContext, id: string): Promise<FocusExportJob> {
  const job = UUID.test(id) ? await ctx.db.prisma.focusExportJob.findFirst({ where: { id, workspaceId: ctx.access.workspaces("read:billing") } }) : null;
  if (!job) throw new NotFoundError("Export job");
  return job;
}

/**
 * Cancels a queued or running job (read:billing: whoever may start one may stop it). The process
 * running it stops at its next batch and deletes what it wrote; a finished job stays as it is.
 */
export async function cancelFocusExport(ctx: RequestContext, id: string): Promise<FocusExportJob> {
  const job = await focusExportJob(ctx, id);
  await requestExportCancel(ctx.db.prisma, job.id, ctx.clock.now());
  return focusExportJob(ctx, id);
}

/** Workspace.focusExportJobs: newest first. */
export async function focusExportJobsConnection(ctx: RequestContext, target: WorkspaceTarget, args: ConnectionArgs): Promise<Connection<FocusExportJob>> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  const beyond = (key: { at: Date; id: string }, later: boolean): Prisma.FocusExportJobWhereInput => {
    const op = later ? "gt" : "lt";
    return { OR: [{ createdAt: { [op]: key.at } }, { createdAt: key.at, id: { [op]: key.id } }] };
  };
  return keysetConnection(ctx, {
    connection: "Workspace.focusExportJobs",
    workspaceId: workspace.id,
    parts: 2,
    encode: (job) => [String(job.createdAt.getTime()), job.id],
    decode: ([ms, id]) => {
      const at = readEpochMs(ms!);
      return at.ok && UUID.test(id!) ? { at: at.value, id: id! } : null;
    },
    read: (range) => {
      const direction = range.backwards ? ("asc" as const) : ("desc" as const);
      return ctx.db.prisma.focusExportJob.findMany({
        where: { AND: [{ workspaceId: workspace.id }, ...(range.after ? [beyond(range.after, false)] : []), ...(range.before ? [beyond(range.before, true)] : [])] },
        orderBy: [{ createdAt: direction }, { id: direction }],
        take: range.take,
      });
    },
    count: () => ctx.db.prisma.focusExportJob.count({ where: { workspaceId: workspace.id } }),
  }, args);
}

// ---------------------------------------------------------------------------------------------
// Signed download URLs: an HMAC of the job, the file's path and the expiry, with the server's secret.

const signature = (secret: Buffer, jobId: string, path: string, expires: number) =>
  crypto.createHmac("sha256", secret).update(`${jobId}\n${path}\n${expires}`).digest("base64url");

/** The path of a job's file under the API, each segment percent-encoded. */
export const exportFilePath = (jobId: string, path: string) => `/api/billing/focus-exports/${jobId}/files/${path.split("/").map(encodeURIComponent).join("/")}`;

/** A signed URL of a file (relative to the gateway), valid for the URL lifetime but never past the files' retention. */
export function signedFileUrl(ctx: RequestContext, job: FocusExportJob, path: string): string | null {
  const settings = ctx.settings.exports;
  if (job.state !== "SUCCEEDED" || job.purgedAt || !job.expiresAt || job.expiresAt <= ctx.clock.now()) return null;
  const expires = Math.min(ctx.clock.now().getTime() + settings.urlTtlSeconds * 1000, job.expiresAt.getTime());
  return `${exportFilePath(job.id, path)}?expires=${expires}&signature=${signature(settings.urlSecret, job.id, path, expires)}`;
}

/** A job's files, each with its signed URL while they are kept. */
export function exportFiles(ctx: RequestContext, job: FocusExportJob): ExportFileView[] {
  return (job.files as unknown as ExportFileEntry[]).map((file) => ({ ...file, url: signedFileUrl(ctx, job, file.path) }));
}

/**
 * The file a signed URL names: the signature is the authorization (no API key), so it is checked
 * first, in constant time; then its expiry; then that the file is still kept.
 */
export async function fileOfSignedUrl(ctx: RequestContext, request: { jobId: string; path: string; expires: number; signature: string }): Promise<{ job: FocusExportJob; file: ExportFileEntry }> {
  const expected = Buffer.from(signature(ctx.settings.exports.urlSecret, request.jobId, request.path, request.expires));
  const given = Buffer.from(request.signature);
  if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) throw new ExportUrlError("INVALID_SIGNATURE");
  if (request.expires <= ctx.clock.now().getTime()) throw new ExportUrlError("URL_EXPIRED");
  const job = await ctx.db.prisma.focusExportJob.findUnique({ where: { id: request.jobId } });
  const file = (job?.files as unknown as ExportFileEntry[] | undefined)?.find((f) => f.path === request.path);
  if (!job || !file || job.state !== "SUCCEEDED" || job.purgedAt || (job.expiresAt && job.expiresAt <= ctx.clock.now())) throw new NotFoundError("Export file");
  return { job, file };
}

// ---------------------------------------------------------------------------------------------
// The standing monthly delivery.

export interface DeliveryInput {
  dataset?: FocusDataset | null;
  format?: ExportFormat | null;
  layout?: ExportLayout | null;
}

/** Sets the workspace's monthly delivery (admin); the next pass of the export job queues what is due. */
export async function setFocusDelivery(ctx: RequestContext, target: WorkspaceTarget, input: DeliveryInput): Promise<FocusDelivery> {
  const workspace = await workspaceFor(ctx, target, "admin");
  const checked = checkedInput({ ...input, layout: input.layout ?? "finops-hub" });
  const now = ctx.clock.now();
  const delivery = await ctx.db.prisma.focusDelivery.upsert({
    where: { workspaceId: workspace.id },
    create: { workspaceId: workspace.id, ...checked, createdAt: now, updatedAt: now },
    update: { ...checked, updatedAt: now },
  });
  ctx.settings.exportJobs?.kick();
  return delivery;
}

/** Stops the workspace's monthly delivery (admin); its past jobs stay until their retention ends. */
export async function removeFocusDelivery(ctx: RequestContext, target: WorkspaceTarget): Promise<boolean> {
  const workspace = await workspaceFor(ctx, target, "admin");
  return (await ctx.db.prisma.focusDelivery.deleteMany({ where: { workspaceId: workspace.id } })).count > 0;
}

export async function focusDelivery(ctx: RequestContext, target: WorkspaceTarget): Promise<FocusDelivery | null> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  return ctx.db.prisma.focusDelivery.findUnique({ where: { workspaceId: workspace.id } });
}

/**
 * Queues what deliveries are due at the context's now (the operator's, from the export job): each
 * closed UTC month once after it closes, and the open month once a UTC day. Each run has a key, so
 * that processes looking at once queue it once; a run that failed gives its key back and is queued
 * again. After an outage of more than a month, only the month just closed is restated.
 */
export async function queueDueDeliveries(ctx: RequestContext): Promise<number> {
  const now = ctx.clock.now();
  const open = monthStart(now.getUTCFullYear(), now.getUTCMonth());
  const closed = monthStart(open.getUTCFullYear(), open.getUTCMonth() - 1);
  const runs = [
    { month: monthOf(closed), from: closed, to: open, run: "closed" },
    { month: monthOf(open), from: open, to: monthStart(open.getUTCFullYear(), open.getUTCMonth() + 1), run: now.toISOString().slice(0, 10) },
  ];
  const deliveries = await ctx.db.prisma.focusDelivery.findMany({ where: { workspaceId: ctx.access.workspaces() } });
  if (deliveries.length === 0) return 0;
  const queued = await ctx.db.prisma.focusExportJob.createMany({
    data: deliveries.flatMap((delivery) => runs.map(({ month, from, to, run }) => ({
      workspaceId: delivery.workspaceId, dataset: delivery.dataset, format: delivery.format, layout: delivery.layout,
      rangeFrom: from, rangeTo: to, deliveryMonth: month, deliveryKey: `${delivery.workspaceId}:${month}:${run}`, createdAt: now,
    }))),
    skipDuplicates: true,
  });
  return queued.count;
}

/**
 * The signed URL of a month's latest delivery (read:billing): its manifest (finops-hub) or its
 * file (single). Not found until a delivery of that month has succeeded.
 */
export async function latestDeliveryUrl(ctx: RequestContext, target: WorkspaceTarget, month: string): Promise<string> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw ValidationError.single("month", "month must be YYYY-MM");
  const job = await ctx.db.prisma.focusExportJob.findFirst({
    where: { workspaceId: workspace.id, deliveryMonth: month, state: "SUCCEEDED", purgedAt: null, expiresAt: { gt: ctx.clock.now() } },
    orderBy: [{ finishedAt: "desc" }, { id: "desc" }],
  });
  const files = (job?.files as unknown as ExportFileEntry[] | undefined) ?? [];
  const file = files.find((f) => f.path.endsWith("/manifest.json")) ?? files[0];
  const url = job && file ? signedFileUrl(ctx, job, file.path) : null;
  if (!url) throw new NotFoundError("Delivery of that month");
  return url;
}
