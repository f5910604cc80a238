// Execution usage (source 004): the Usage page's rows with their Included/On-Demand type, Stripe-
// style cursor pages of up to 100, and a CSV export of the same query capped at 10,000 rows.
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import type { Execution, Workspace } from "../db/generated/client.js";
import { executionBilling } from "../domain/executions.js";
import { localDate, periodWindow, type TimeWindow } from "../domain/time.js";
import { parseQuery, RestError, sendRestJson, type RestContext, type Route } from "./router.js";
import { writeChunk } from "./stream.js";

const PRESETS = { "1d": "LAST_24_HOURS", "7d": "LAST_7_DAYS", "30d": "LAST_30_DAYS", mtd: "MONTH_TO_DATE", last_month: "LAST_MONTH" } as const;
const PAGE_SIZE = 100;
const EXPORT_CAP = 10_000;
const EXPORT_BATCH = 1_000;
export const EXPORT_COLUMNS = ["Date", "Execution", "Workflow", "Trigger", "Model", "Tokens", "Cost (USD)"];

/** An instant as ISO 8601 or epoch milliseconds. */
const instant = z
  .string()
  .transform((value, ctx) => {
    const date = /^\d{1,15}$/.test(value) ? new Date(Number(value)) : /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(NaN);
    if (Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: "custom", message: "must be an ISO 8601 time or epoch milliseconds" });
      return z.NEVER;
    }
    return date;
  });

const windowQuery = z.object({
  preset: z.enum(Object.keys(PRESETS) as [keyof typeof PRESETS, ...(keyof typeof PRESETS)[]]).optional(),
  from: instant.optional(),
  to: instant.optional(),
});

const pageQuery = windowQuery.extend({
  limit: z.coerce.number().int("must be an integer").min(1, "must be between 1 and 100").max(PAGE_SIZE, "must be between 1 and 100").default(PAGE_SIZE),
  starting_after: z.string().regex(/^\d{1,18}$/, "must be an execution id").optional(),
  ending_before: z.string().regex(/^\d{1,18}$/, "must be an execution id").optional(),
});

function windowOf(query: z.output<typeof windowQuery>, workspace: Workspace): TimeWindow {
  if (query.preset && (query.from || query.to)) throw new RestError(400, "INVALID_PARAMETER", "preset: pass a preset or from/to, not both", "preset");
  const window = query.preset
    ? periodWindow(PRESETS[query.preset], workspace.timeZone)
    : { from: query.from ?? periodWindow("LAST_30_DAYS", workspace.timeZone).from, to: query.to ?? new Date() };
  if (window.from >= window.to) throw new RestError(400, "INVALID_PARAMETER", "from: from must be before to", "from");
  if (window.to.getTime() - window.from.getTime() > 366 * 86_400_000) throw new RestError(400, "INVALID_PARAMETER", "to: the range may span at most 366 days", "to");
  return window;
}

type ExecutionWithWorkflow = Execution & { workflow: { id: string; name: string } };

/** One keyset page, newest first; `direction` "before" walks back towards newer rows. */
async function page(ctx: RestContext, workspace: Workspace, window: TimeWindow, limit: number, cursor: { id: string; direction: "after" | "before" } | null) {
  let anchor: Execution | null = null;
  if (cursor) {
    anchor = await ctx.db.prisma.execution.findFirst({ where: { id: BigInt(cursor.id), workspaceId: workspace.id } });
    if (!anchor) throw new RestError(400, "INVALID_CURSOR", `${cursor.direction === "after" ? "starting_after" : "ending_before"}: no such execution in this workspace`, cursor.direction === "after" ? "starting_after" : "ending_before");
  }
  const older = cursor?.direction !== "before";
  const keyset = anchor
    ? older
      ? { OR: [{ startedAt: { lt: anchor.startedAt } }, { startedAt: anchor.startedAt, id: { lt: anchor.id } }] }
      : { OR: [{ startedAt: { gt: anchor.startedAt } }, { startedAt: anchor.startedAt, id: { gt: anchor.id } }] }
    : {};
  const rows = (await ctx.db.prisma.execution.findMany({
    where: { workspaceId: workspace.id, startedAt: { gte: window.from, lt: window.to }, ...keyset },
    orderBy: older ? [{ startedAt: "desc" }, { id: "desc" }] : [{ startedAt: "asc" }, { id: "asc" }],
    take: limit + 1,
    include: { workflow: { select: { id: true, name: true } } },
  })) as ExecutionWithWorkflow[];
  const more = rows.length > limit;
  const data = rows.slice(0, limit);
  if (!older) data.reverse();
  return { data, more, older };
}

export const executionUsageRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/billing/usage",
    scope: "read:billing",
    async handle(ctx) {
      const query = parseQuery(pageQuery, ctx.query);
      if (query.starting_after && query.ending_before) {
        throw new RestError(400, "INVALID_PARAMETER", "starting_after: pass starting_after or ending_before, not both", "starting_after");
      }
      const workspace = await ctx.workspace("read:billing");
      const window = windowOf(query, workspace);
      const cursor = query.starting_after ? { id: query.starting_after, direction: "after" as const } : query.ending_before ? { id: query.ending_before, direction: "before" as const } : null;
      const { data, more, older } = await page(ctx, workspace, window, query.limit, cursor);
      const billing = await executionBilling(ctx.db.prisma, data.map((e) => e.id));
      sendRestJson(ctx.res, 200, {
        object: "list",
        url: "/api/billing/usage",
        workspaceId: workspace.id,
        from: window.from.toISOString(),
        to: window.to.toISOString(),
        // Stripe-style: has_more is about the direction walked; the cursors say where to go next.
        has_more: more,
        next_cursor: data.length && (older ? more : true) ? data.at(-1)!.id.toString() : null,
        prev_cursor: data.length && (older ? cursor !== null : more) ? data[0]!.id.toString() : null,
        data: data.map((e) => {
          const b = billing.get(e.id)!;
          return {
            id: e.id.toString(),
            date: e.startedAt.toISOString(),
            type: b.billingType === "INCLUDED" ? "Included" : "On-Demand",
            workflow: { id: e.workflow.id, name: e.workflow.name },
            trigger: e.trigger,
            model: e.model,
            tokens: e.inputTokens + e.outputTokens,
            cost: e.costUsd,
            onDemandCost: b.onDemandCostUsd,
            monthToDateCost: b.monthToDateUsd,
          };
        }),
      });
    },
  },
  {
    method: "GET",
    path: "/api/billing/usage/export",
    scope: "read:billing",
    async handle(ctx) {
      const query = parseQuery(windowQuery, ctx.query);
      const workspace = await ctx.workspace("read:billing");
      const window = windowOf(query, workspace);
      const where = { workspaceId: workspace.id, startedAt: { gte: window.from, lt: window.to } };
      const total = await ctx.db.prisma.execution.count({ where, take: EXPORT_CAP + 1 });
      const truncated = total > EXPORT_CAP;
      ctx.res.writeHead(200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="usage-${workspace.id}-${localDate(new Date(), workspace.timeZone)}.csv"`,
        "Cache-Control": "no-store",
        "X-Export-Row-Limit": String(EXPORT_CAP),
        "X-Export-Truncated": String(truncated),
      });
      let open = await writeChunk(ctx.res, stringify([EXPORT_COLUMNS]));
      let cursor: { id: string; direction: "after" } | null = null;
      let sent = 0;
      while (open && sent < EXPORT_CAP) {
        const batch = await page(ctx, workspace, window, Math.min(EXPORT_BATCH, EXPORT_CAP - sent), cursor);
        if (batch.data.length === 0) break;
        const rows = batch.data.map((e) => [e.startedAt.toISOString(), e.id.toString(), e.workflow.name, e.trigger, e.model, e.inputTokens + e.outputTokens, e.costUsd.toFixed()]);
        open = await writeChunk(ctx.res, stringify(rows));
        sent += batch.data.length;
        if (!batch.more) break;
        cursor = { id: batch.data.at(-1)!.id.toString(), direction: "after" };
      }
      ctx.res.end();
    },
  },
];
