// Usage rollup (source 002): GET /api/v1/usage, sandbox and computer vCPU-seconds, storage
// GB-hours and cost per external user, project or workspace, most expensive first. The source
// document answers bad parameters with 422 and its own codes, so this route does too.
import { z } from "zod";
import { ValidationError } from "../domain/errors.js";
import { readInstant } from "../domain/rules/instants.js";
import type { Period } from "../domain/rules/windows.js";
import { usageByGroup } from "../domain/usage-rollup.js";
import { sendRestJson } from "./router.js";
import { defineRoute, RestError } from "./route.js";
import { decimalNumber, errorResponse, isoInstant, jsonResponse, param, workspaceIdParam } from "./schemas.js";

const GROUPS = { external_user_id: "EXTERNAL_USER", external_project_id: "EXTERNAL_PROJECT", workspace_id: "WORKSPACE" } as const;
const PERIODS: Record<string, Period | "custom"> = { "7d": "LAST_7_DAYS", "30d": "LAST_30_DAYS", mtd: "MONTH_TO_DATE", custom: "custom" };
type Group = keyof typeof GROUPS;

/** The document's 422 for a bad value, instead of the gateway's 400. */
const unprocessable = (code: string, param: string, message: string) => new RestError(422, code, message, param);

const query = z.object({
  group_by: param(z.string().optional(), "Dimension to aggregate by.", { enum: Object.keys(GROUPS), default: "external_user_id" }),
  period: param(z.string().optional(), "Window; custom needs start and end.", { enum: Object.keys(PERIODS), default: "30d" }),
  start: z.string().optional().meta({ format: "date-time", description: "ISO 8601 start, inclusive (period=custom)." }),
  end: z.string().optional().meta({ format: "date-time", description: "ISO 8601 end, exclusive (period=custom)." }),
  workspaceId: workspaceIdParam,
});

function customRange(start: string | undefined, end: string | undefined): { from: Date; to: Date } {
  const read = (value: string | undefined, name: string) => {
    const parsed = value === undefined ? null : readInstant(value);
    if (!parsed?.ok) throw unprocessable("invalid_custom_range", name, `${name} is required with period=custom and must be ISO 8601${parsed ? ` (${parsed.problem})` : ""}`);
    return parsed.value;
  };
  return { from: read(start, "start"), to: read(end, "end") };
}

export const usageRollupRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/v1/usage",
    operationId: "usageRollup",
    summary: "Usage aggregated per external user, project or workspace, most expensive first",
    tag: "Usage rollup",
    scope: "read:billing",
    query,
    responses: {
      "200": jsonResponse("Totals per group.", z.object({
        period_start: isoInstant(), period_end: isoInstant(),
        results: z.array(z.object({
          sandbox_seconds: decimalNumber("vCPU-seconds used by sandboxes."),
          computer_seconds: decimalNumber("vCPU-seconds used by computers."),
          storage_gb_hours: decimalNumber("GiB-hours of attached storage."),
          credit_cents: decimalNumber("Total list cost in cents."),
        }).catchall(z.string().nullable()).meta({ description: "Also the group_by key with its value." })),
      })),
      "422": errorResponse("`invalid group_by`, `invalid period` or `invalid_custom_range`, as the source document names them."),
    },
    async handle({ ctx, query, res }) {
      const groupBy = (query.group_by ?? "external_user_id") as Group;
      const period = query.period ?? "30d";
      if (!(groupBy in GROUPS)) throw unprocessable("invalid group_by", "group_by", `group_by must be one of ${Object.keys(GROUPS).join(", ")}`);
      if (!(period in PERIODS)) throw unprocessable("invalid period", "period", `period must be one of ${Object.keys(PERIODS).join(", ")}`);
      const window = PERIODS[period] === "custom" ? customRange(query.start, query.end) : { period: PERIODS[period] as Period };
      const rollup = await usageByGroup(ctx, { id: query.workspaceId }, { ...window, groupBy: GROUPS[groupBy] }).catch((error) => {
        throw error instanceof ValidationError && period === "custom" ? unprocessable("invalid_custom_range", error.param ?? "start", error.message) : error;
      });
      sendRestJson(res, 200, {
        period_start: rollup.window.from.toISOString().replace(".000Z", "Z"),
        period_end: rollup.window.to.toISOString().replace(".000Z", "Z"),
        results: rollup.groups.map((g) => ({
          [groupBy]: g.group,
          sandbox_seconds: g.sandboxSeconds,
          computer_seconds: g.computerSeconds,
          storage_gb_hours: g.storageGbHours,
          credit_cents: g.costUsd.mul(100),
        })),
      });
    },
  }),
];
