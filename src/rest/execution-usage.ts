// Execution usage (source 004): the Usage page's rows with their Included/On-Demand type, Stripe-
// style cursor pages of up to 100, and a CSV export of the same query capped at 10,000 rows.
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import { EXECUTION_EXPORT_CAP, EXECUTION_USAGE_PAGE, executionExport, executionUsage } from "../domain/executions.js";
import { rowIdParam } from "../domain/rules/ids.js";
import { instantOrEpoch } from "../domain/rules/instants.js";
import { pageSizeParam } from "../domain/rules/pages.js";
import type { Period } from "../domain/rules/windows.js";
import { sendRestJson } from "./router.js";
import { defineRoute } from "./route.js";
import { COMPRESSION_HEADERS, decimalNumber, isoInstant, jsonResponse, workspaceIdParam } from "./schemas.js";
import { openBody, primed } from "./stream.js";

const TAG = "Execution usage (MyBotBox)";
const PRESETS: Record<string, Period> = { "1d": "LAST_24_HOURS", "7d": "LAST_7_DAYS", "30d": "LAST_30_DAYS", mtd: "MONTH_TO_DATE", last_month: "LAST_MONTH" };
const EXPORT_COLUMNS = ["Date", "Execution", "Workflow", "Trigger", "Model", "Tokens", "Cost (USD)"];

const windowQuery = {
  preset: z.enum(["1d", "7d", "30d", "mtd", "last_month"]).optional().meta({ description: "A preset window in the workspace's time zone; or pass from/to." }),
  from: instantOrEpoch().optional().meta({ description: "ISO 8601 or epoch milliseconds, inclusive (default: 30 days before to)." }),
  to: instantOrEpoch().optional().meta({ description: "ISO 8601 or epoch milliseconds, exclusive (default: now)." }),
  workspaceId: workspaceIdParam,
};

const executionId = rowIdParam("an execution");

const windowOf = (query: { preset?: string; from?: Date; to?: Date }) => ({ period: query.preset ? PRESETS[query.preset] : null, from: query.from, to: query.to });

export const executionUsageRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/billing/usage",
    operationId: "executionUsage",
    summary: "Per-execution usage with its Included/On-Demand type, 100 a page",
    description: "Newest first. has_more says whether there are rows further in the direction walked; next_cursor and prev_cursor say where to go.",
    tag: TAG,
    scope: "read:billing",
    query: z.object({
      ...windowQuery,
      limit: pageSizeParam(EXECUTION_USAGE_PAGE, "Rows per page (1–100)."),
      starting_after: executionId.optional().meta({ description: "Cursor: the page after (older than) this execution." }),
      ending_before: executionId.optional().meta({ description: "Cursor: the page before (newer than) this execution." }),
    }),
    responses: {
      "200": jsonResponse("A page of executions.", z.object({
        object: z.literal("list"), url: z.string(), workspaceId: z.uuid(), from: isoInstant(), to: isoInstant(), has_more: z.boolean(),
        next_cursor: z.string().nullable(), prev_cursor: z.string().nullable(),
        data: z.array(z.object({
          id: z.string(), date: isoInstant(), type: z.enum(["Included", "On-Demand"]), workflow: z.object({ id: z.uuid(), name: z.string() }),
          trigger: z.string(), model: z.string(), tokens: z.int(), cost: decimalNumber("USD."),
          onDemandCost: decimalNumber("The part past the monthly limit."), monthToDateCost: decimalNumber("The month's running total up to it."),
        })),
      })),
    },
    async handle({ ctx, query, res }) {
      const page = await executionUsage(ctx, { id: query.workspaceId }, { ...windowOf(query), limit: query.limit, startingAfter: query.starting_after, endingBefore: query.ending_before });
      sendRestJson(res, 200, {
        object: "list",
        url: "/api/billing/usage",
        workspaceId: page.workspace.id,
        from: page.window.from.toISOString(),
        to: page.window.to.toISOString(),
        has_more: page.hasMore,
        next_cursor: page.nextCursor,
        prev_cursor: page.prevCursor,
        data: page.rows.map(({ execution: e, billing }) => ({
          id: e.id.toString(),
          date: e.startedAt.toISOString(),
          type: billing.billingType === "INCLUDED" ? "Included" : "On-Demand",
          workflow: { id: e.workflow.id, name: e.workflow.name },
          trigger: e.trigger,
          model: e.model,
          tokens: e.inputTokens + e.outputTokens,
          cost: e.costUsd,
          onDemandCost: billing.onDemandCostUsd,
          monthToDateCost: billing.monthToDateUsd,
        })),
      });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/billing/usage/export",
    operationId: "executionUsageExport",
    summary: `CSV of the same rows (${EXPORT_COLUMNS.join(",")}), at most ${EXECUTION_EXPORT_CAP.toLocaleString("en")}`,
    tag: TAG,
    scope: "read:billing",
    query: z.object(windowQuery),
    responses: {
      "200": {
        description: "usage-<workspaceId>-<YYYY-MM-DD>.csv, newest first, streamed.",
        headers: z.object({
          "X-Request-Id": z.string(),
          "Content-Disposition": z.string().meta({ description: 'attachment; filename="usage-<workspaceId>-<YYYY-MM-DD>.csv" (the date in the workspace\'s zone)' }),
          "Cache-Control": z.literal("no-store"),
          ...COMPRESSION_HEADERS,
          "X-Export-Row-Limit": z.string().meta({ description: `The cap: ${EXECUTION_EXPORT_CAP}.` }),
          "X-Export-Truncated": z.enum(["true", "false"]).meta({ description: "Whether the cap cut the range." }),
        }),
        content: { "text/csv": { schema: z.string() } },
      },
    },
    async handle({ ctx, query, req, res }) {
      const exported = await executionExport(ctx, { id: query.workspaceId }, windowOf(query));
      const batches = await primed(exported.batches);
      const body = openBody(req, res, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="${exported.filename}"`,
        "Cache-Control": "no-store",
        "X-Export-Row-Limit": String(EXECUTION_EXPORT_CAP),
        "X-Export-Truncated": String(exported.truncated),
      });
      let open = await body.write(stringify([EXPORT_COLUMNS]));
      for await (const batch of batches) {
        if (!open) break; // the client went away: stop reading
        const rows = batch.map((e) => [e.startedAt.toISOString(), e.id.toString(), e.workflow.name, e.trigger, e.model, e.inputTokens + e.outputTokens, e.costUsd.toFixed()]);
        open = await body.write(stringify(rows));
      }
      await body.end();
    },
  }),
];
