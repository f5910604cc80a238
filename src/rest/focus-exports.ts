// FOCUS export jobs over REST: start one (202 and its status URL), read and cancel it, download its
// files through signed URLs that need no API key (with HTTP ranges, so a large download resumes),
// and the latest monthly delivery of a month. The rules are the domain's (export-jobs.ts).
import type http from "node:http";
import path from "node:path";
import send from "send";
import { z } from "zod";
import type { FocusExportJob } from "../db/generated/client.js";
import type { RequestContext } from "../domain/context.js";
import {
  cancelFocusExport, EXPORT_FORMATS, EXPORT_LAYOUTS, exportFiles, fileOfSignedUrl, focusExportJob, latestDeliveryUrl, startFocusExport, type ExportFormat,
} from "../domain/focus/export-jobs.js";
import { FOCUS_DATASETS, type FocusDataset } from "../domain/focus/rows.js";
import { uuid } from "../domain/rules/ids.js";
import { readEpochMs } from "../domain/rules/instants.js";
import { CONTENT_TYPES } from "../exports/focus-file.js";
import { BodyTooLarge, mediaType, readBody } from "../http/body.js";
import { jobFolder } from "../exports/file-sets.js";
import { sendRestJson } from "./router.js";
import { defineRoute, RestError } from "./route.js";
import { errorResponse, isoInstant, jsonResponse, param, RATE_LIMIT_ERRORS, workspaceIdParam } from "./schemas.js";

const TAG = "FOCUS 1.3 (BuilderStudio)";
const str = z.string();
const DATASETS = Object.keys(FOCUS_DATASETS) as [FocusDataset, ...FocusDataset[]];

const fileView = z.object({
  path: str.meta({ description: "Relative to the job: part-00000.parquet, or <dataset>/<yyyy>/<mm>/part-00000.parquet and …/manifest.json (finops-hub)." }),
  url: str.nullable().meta({ description: "Signed download URL, relative to the gateway, no API key needed; null once the files are deleted." }),
  rows: z.int(),
  bytes: z.int(),
  sha256: str.meta({ description: "Hex SHA-256 of the file's bytes." }),
});

const jobView = z.object({
  id: z.uuid(),
  workspaceId: z.uuid(),
  state: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]),
  dataset: z.enum(DATASETS),
  format: z.enum(EXPORT_FORMATS),
  layout: z.enum(EXPORT_LAYOUTS),
  from: isoInstant("Start of the range, inclusive (finops-hub: the first UTC month's start)."),
  to: isoInstant("End of the range, exclusive."),
  deliveryMonth: str.nullable().meta({ description: "YYYY-MM for a job of the monthly delivery; null for one a caller started." }),
  progress: z.object({ rows: z.int(), bytes: z.int() }).meta({ description: "Rows and bytes written so far (all of them once succeeded)." }),
  files: z.array(fileView),
  error: str.nullable().meta({ description: "Why it failed." }),
  attempts: z.int().meta({ description: "Runs started: more than one when a process running it stopped." }),
  createdAt: isoInstant(),
  startedAt: isoInstant().nullable(),
  finishedAt: isoInstant().nullable(),
  expiresAt: isoInstant().nullable().meta({ description: "When its files are deleted (EXPORT_RETENTION_DAYS after it finished)." }),
}).meta({ id: "FocusExportJob" });

/** The job as REST answers it. */
function jobBody(ctx: RequestContext, job: FocusExportJob) {
  return {
    id: job.id,
    workspaceId: job.workspaceId,
    state: job.state.toLowerCase(),
    dataset: job.dataset,
    format: job.format,
    layout: job.layout,
    from: job.rangeFrom,
    to: job.rangeTo,
    deliveryMonth: job.deliveryMonth,
    progress: { rows: Number(job.rows), bytes: Number(job.bytes) },
    files: exportFiles(ctx, job),
    error: job.error,
    attempts: job.attempts,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    expiresAt: job.expiresAt,
  };
}

const startBody = z.strictObject({
  from: z.int().meta({ description: "Start, epoch milliseconds, inclusive." }),
  to: z.int().meta({ description: "End, epoch milliseconds, exclusive; at most 365 days after from." }),
  dataset: z.enum(DATASETS).optional().meta({ description: "Default cost-and-usage." }),
  format: z.enum(EXPORT_FORMATS).optional().meta({ description: "Default parquet." }),
  layout: z.enum(EXPORT_LAYOUTS).optional().meta({ description: "single (default): the range in one file set; finops-hub: each UTC month the range touches, whole, under <dataset>/<yyyy>/<mm>/ with a manifest.json." }),
});

/** The start request's body: JSON, each field checked, the instants as the export routes take them. */
async function readStartBody(req: http.IncomingMessage) {
  if (mediaType(req.headers["content-type"]) !== "application/json") throw new RestError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the export as application/json");
  const raw = await readBody(req, 16_384).catch((error) => {
    throw error instanceof BodyTooLarge ? new RestError(413, "PAYLOAD_TOO_LARGE", error.message) : error;
  });
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new RestError(400, "INVALID_BODY", "The body is not valid JSON", "body");
  }
  const parsed = startBody.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RestError(400, "INVALID_BODY", `${issue.path.join(".") || "body"}: ${issue.message}`, issue.path.join(".") || "body");
  }
  const instant = (name: "from" | "to") => {
    const read = readEpochMs(String(parsed.data[name]));
    if (!read.ok) throw new RestError(400, "INVALID_BODY", `${name}: ${read.problem}`, name);
    return read.value;
  };
  return { ...parsed.data, from: instant("from"), to: instant("to") };
}

const jobId = z.object({ jobId: uuid("an export job") });

const FILE_HEADERS = z.object({
  "X-Request-Id": str,
  "Content-Disposition": str.meta({ description: 'attachment; filename="part-00000.parquet" (the file\'s name)' }),
  ETag: str.meta({ description: "The file's SHA-256, quoted: If-Range and If-None-Match take it." }),
  "Accept-Ranges": z.literal("bytes"),
  "Cache-Control": str,
});
const jobJson = (description: string, headers = {}) => jsonResponse(description, jobView, headers);

export const focusExportRoutes = [
  defineRoute({
    method: "POST",
    path: "/api/billing/focus-exports",
    operationId: "startFocusExport",
    summary: "Start an asynchronous FOCUS 1.3 export (a job): Parquet, CSV or JSONL, as one file set or in a FinOps-hub layout",
    description: "Counts against the FOCUS budget as one export request. Poll the job at its Location; once succeeded, each file has a signed URL.",
    tag: TAG,
    scope: "read:billing",
    rateLimited: true,
    query: z.object({ workspaceId: workspaceIdParam }),
    requestBody: { required: true, content: { "application/json": { schema: startBody } } },
    responses: {
      "202": jobJson("The job, queued.", { Location: str.meta({ description: "The job's status URL." }) }),
      "413": errorResponse("The body is over 16 KB (PAYLOAD_TOO_LARGE)."),
      "415": errorResponse("The body is not application/json (UNSUPPORTED_MEDIA_TYPE)."),
      ...RATE_LIMIT_ERRORS,
    },
    async handle({ ctx, query, req, res }) {
      const job = await startFocusExport(ctx, { id: query.workspaceId }, await readStartBody(req));
      sendRestJson(res, 202, jobBody(ctx, job), { Location: `/api/billing/focus-exports/${job.id}` });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/billing/focus-exports/latest",
    operationId: "latestFocusDelivery",
    summary: "Redirect to the latest monthly delivery of a UTC month: its manifest.json (finops-hub) or its file",
    tag: TAG,
    scope: "read:billing",
    query: z.object({ month: param(str, "The UTC month, YYYY-MM."), workspaceId: workspaceIdParam }),
    responses: {
      "302": { description: "To the signed URL.", headers: z.object({ "X-Request-Id": str, Location: str.meta({ description: "The signed URL, relative to the gateway." }), "Cache-Control": z.literal("no-store") }) },
    },
    async handle({ ctx, query, res }) {
      res.writeHead(302, { Location: await latestDeliveryUrl(ctx, { id: query.workspaceId }, query.month), "Cache-Control": "no-store", "Content-Length": 0 });
      res.end();
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/billing/focus-exports/:jobId",
    operationId: "focusExportJob",
    summary: "An export job: its state, progress and files",
    tag: TAG,
    scope: "read:billing",
    query: z.object({}),
    params: jobId,
    responses: { "200": jobJson("The job.", { "Cache-Control": z.literal("no-store") }) },
    async handle({ ctx, params, res }) {
      sendRestJson(res, 200, jobBody(ctx, await focusExportJob(ctx, params.jobId)), { "Cache-Control": "no-store" });
    },
  }),
  defineRoute({
    method: "POST",
    path: "/api/billing/focus-exports/:jobId/cancel",
    operationId: "cancelFocusExport",
    summary: "Cancel a queued or running export job; its files are deleted",
    tag: TAG,
    scope: "read:billing",
    query: z.object({}),
    params: jobId,
    responses: { "200": jobJson("The job: cancelled, or about to be once its process reaches its next batch; a finished job as it was.") },
    async handle({ ctx, params, res }) {
      sendRestJson(res, 200, jobBody(ctx, await cancelFocusExport(ctx, params.jobId)));
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/billing/focus-exports/:jobId/files/:path*",
    operationId: "focusExportFile",
    summary: "Download a file of a finished export job through its signed URL (no API key); HTTP ranges resume a download",
    tag: TAG,
    scope: null,
    query: z.object({
      expires: param(str, "Epoch milliseconds after which the URL no longer holds."),
      signature: param(str, "The URL's signature."),
    }),
    params: z.object({ jobId: uuid("an export job"), path: param(str, "The file's path in the job.") }),
    responses: {
      "200": { description: "The file.", headers: FILE_HEADERS, content: Object.fromEntries([...Object.values(CONTENT_TYPES), "application/json"].map((type) => [type, { schema: str.meta({ format: "binary" }) }])) },
      "206": { description: "The requested byte range (Range: bytes=…).", headers: FILE_HEADERS.extend({ "Content-Range": str }) },
      "403": errorResponse("The signature does not verify (INVALID_SIGNATURE) or the URL has expired (URL_EXPIRED)."),
      "404": errorResponse("No such file, or its retention has ended (NOT_FOUND)."),
      "416": errorResponse("The range is outside the file (RANGE_NOT_SATISFIABLE)."),
    },
    async handle({ ctx, query, params, req, res }) {
      const expires = readEpochMs(query.expires);
      if (!expires.ok) throw new RestError(403, "INVALID_SIGNATURE", "This download URL is not valid");
      const { job, file } = await fileOfSignedUrl(ctx, { jobId: params.jobId, path: params.path, expires: expires.value.getTime(), signature: query.signature });
      await sendFile(req, res, jobFolder(ctx.settings.exports.dir, job), file);
    },
  }),
];

const SEND_REFUSALS: Record<number, [string, string]> = {
  404: ["NOT_FOUND", "No such export file"],
  412: ["PRECONDITION_FAILED", "The file no longer matches the request's precondition"],
  416: ["RANGE_NOT_SATISFIABLE", "The range is outside the file"],
};

/** What `send` refuses (a 4xx), in the gateway's errors; anything else is the gateway's fault. */
function sendError(error: { status?: number }): unknown {
  const status = error.status ?? 500;
  if (status >= 500) return error;
  const [code, message] = SEND_REFUSALS[status] ?? ["INVALID_REQUEST", "The request cannot be served"];
  return new RestError(status, code, message);
}

/** Streams a stored file with `send` (ranges, conditional requests, ETag from its SHA-256). */
function sendFile(req: http.IncomingMessage, res: http.ServerResponse, root: string, file: { path: string; sha256: string }): Promise<void> {
  const format = path.extname(file.path).slice(1);
  const type = format === "json" ? "application/json" : (CONTENT_TYPES[format as ExportFormat] ?? "application/octet-stream");
  return new Promise<void>((resolve, reject) => {
    send(req, file.path, { root, dotfiles: "deny", etag: false, lastModified: false, cacheControl: false, index: false })
      .on("headers", (out: http.ServerResponse) => {
        out.setHeader("Content-Type", type);
        out.setHeader("ETag", `"${file.sha256}"`);
        out.setHeader("Content-Disposition", `attachment; filename="${path.basename(file.path)}"`);
        out.setHeader("Cache-Control", "private, max-age=0");
      })
      .on("error", (error: { status?: number }) => reject(sendError(error)))
      .on("end", resolve)
      .pipe(res);
    res.once("close", resolve);
  });
}
