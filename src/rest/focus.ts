// FOCUS 1.3 export (BuilderStudio, source 000): streamed JSONL, CSV or Parquet files of either dataset (Cost
// and Usage by default, or Contract Commitment) and their metadata, all from the domain's focus
// rows. Each request counts against the caller's FOCUS budget.
import { z } from "zod";
import { FOCUS_SCHEMA_IDS, focusMetadata } from "../domain/focus/metadata.js";
import { FOCUS_DATASETS, focusRequest, focusRowPages, type FocusDataset } from "../domain/focus/rows.js";
import { epochMs } from "../domain/rules/instants.js";
import { EXPORT_FORMATS } from "../domain/focus/export-jobs.js";
import { CONTENT_TYPES, focusFileWriter } from "../exports/focus-file.js";
import { sendRestJson } from "./router.js";
import { defineRoute } from "./route.js";
import { COMPRESSION_HEADERS, jsonResponse, param, RATE_LIMIT_ERRORS, workspaceIdParam } from "./schemas.js";
import { openBody, primed, type BodySink } from "./stream.js";

const TAG = "FOCUS 1.3 (BuilderStudio)";

const range = {
  from: epochMs().optional().meta({ description: "Start, epoch milliseconds, inclusive (required)." }),
  to: epochMs().optional().meta({ description: "End, epoch milliseconds, exclusive (required); at most 365 days after from." }),
  workspaceId: workspaceIdParam,
  dataset: param(z.enum(Object.keys(FOCUS_DATASETS) as [FocusDataset, ...FocusDataset[]]).optional(), "FOCUS dataset: cost-and-usage, or contract-commitment (the purchases the usage draws on).", { default: "cost-and-usage" }),
};

const FILE_NAMES: Record<FocusDataset, string> = { "cost-and-usage": "focus-export", "contract-commitment": "focus-contract-commitments" };

const str = z.string();

export const focusRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/billing/focus-export",
    operationId: "focusExport",
    summary: "FOCUS 1.3 rows of a range (cost and usage, or contract commitments), as a JSONL, CSV or Parquet attachment",
    tag: TAG,
    scope: "read:billing",
    rateLimited: true,
    query: z.object({ ...range, format: param(z.enum(EXPORT_FORMATS).optional(), "File format. Parquet: decimals as DECIMAL(38, scale), date-times as UTC timestamps (ms), JSON columns as strings; never gzip-encoded (it compresses its own pages).", { default: "jsonl" }) }),
    responses: {
      "200": {
        description: "focus-export.jsonl, .csv or .parquet (focus-contract-commitments.* for that dataset), streamed; stopped when the client leaves.",
        headers: z.object({
          "X-Request-Id": str,
          "Content-Disposition": str.meta({ description: 'attachment; filename="focus-export.jsonl" (or .csv, .parquet; focus-contract-commitments.* for that dataset)' }),
          "Cache-Control": z.literal("no-store"),
          ...COMPRESSION_HEADERS,
          "X-Focus-Schema-Id": str.meta({ description: "The SchemaId of the metadata that describes these columns." }),
        }),
        content: {
          "application/jsonl": { schema: str.meta({ description: "One JSON object per row." }) },
          "text/csv": { schema: str },
          "application/vnd.apache.parquet": { schema: str.meta({ format: "binary", description: "Apache Parquet, a row group per 10,000 rows." }) },
        },
      },
      ...RATE_LIMIT_ERRORS,
    },
    async handle({ ctx, query, req, res }) {
      const { workspace, window } = await focusRequest(ctx, { id: query.workspaceId }, query);
      const dataset = query.dataset ?? "cost-and-usage";
      const format = query.format ?? "jsonl";
      let body: BodySink | null = null; // opened once the first page has been read
      const file = focusFileWriter(dataset, format, { write: (chunk, written) => body!.write(chunk, written) });
      let rows = 0;
      // Each row is written as it arrives; between pages, the client's pace holds the reading back.
      const pages = await primed(focusRowPages(ctx, workspace, window, (row) => file.add(row), { dataset, usageCopy: file.usageCopy }));
      body = openBody(req, res, {
        "Content-Type": CONTENT_TYPES[format],
        "Content-Disposition": `attachment; filename="${FILE_NAMES[dataset]}.${format}"`,
        "Cache-Control": "no-store",
        "X-Focus-Schema-Id": FOCUS_SCHEMA_IDS[dataset],
      }, { compressible: format !== "parquet" });
      let complete = true;
      for await (const count of pages) {
        complete = await file.flush();
        if (!complete) break; // the client went away: leaving the loop stops reading rows
        rows += count;
      }
      if (complete) complete = await file.end();
      ctx.settings.meter.focusRowsExported(dataset, format, rows);
      ctx.logger.info({ rows, complete, dataset, format }, complete ? "focus export sent" : "focus export cancelled by the client");
      await body.end();
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/billing/focus-metadata",
    operationId: "focusMetadata",
    summary: "FOCUS 1.3 metadata of a dataset over a range: data generator, dataset instance, recency and schema",
    tag: TAG,
    scope: "read:billing",
    rateLimited: true,
    query: z.object(range),
    responses: {
      "200": jsonResponse("The metadata, as FOCUS 1.3 defines it.", z.object({
        DataGenerator: z.object({ DataGenerator: str }),
        DatasetInstance: z.array(z.object({ DatasetInstanceId: str, DatasetInstanceName: str, FocusDatasetId: z.enum(["CostAndUsage", "ContractCommitment"]) })),
        Recency: z.array(z.object({
          DatasetInstanceId: str, RecencyLastUpdated: str, DatasetInstanceLastUpdated: str,
          TimeSectors: z.array(z.object({ TimeSectorStart: str, TimeSectorEnd: str, TimeSectorComplete: z.boolean(), TimeSectorLastUpdated: str }))
            .optional().meta({ description: "Cost and usage (a time series): one sector per UTC day of the range." }),
          DatasetInstanceComplete: z.boolean().optional().meta({ description: "Contract commitments (not a time series): complete as of the request." }),
        })),
        Schema: z.array(z.object({
          SchemaId: str, CreationDate: str, FocusVersion: z.literal("1.3"), DataGeneratorVersion: str, DatasetInstanceId: str,
          ColumnDefinition: z.array(z.object({
            ColumnName: str, DataType: z.enum(["STRING", "DECIMAL", "DATETIME", "JSON"]), StringMaxLength: z.int().optional(), StringEncoding: str.optional(),
            NumericPrecision: z.int().optional(), NumberScale: z.int().optional(), ProviderTagPrefixes: z.array(str).optional(), Deprecated: z.boolean().optional(),
          })),
        })),
      }), { "Cache-Control": z.literal("no-store") }),
      ...RATE_LIMIT_ERRORS,
    },
    async handle({ ctx, query, res }) {
      sendRestJson(res, 200, await focusMetadata(ctx, { id: query.workspaceId }, query, query.dataset ?? "cost-and-usage"), { "Cache-Control": "no-store" });
    },
  }),
];
