// Fusion code-generation metrics (source 003): organization-level and space-level routes. The
// document answers unknown or unauthorized spaces with 404, as the gateway does.
import { z } from "zod";
import { organizationActivity, spaceActivity, type ActivityMetrics } from "../domain/activity.js";
import { uuid } from "../domain/rules/ids.js";
import { sendRestJson } from "./router.js";
import { defineRoute } from "./route.js";
import { jsonResponse, param } from "./schemas.js";

const TAG = "Fusion metrics (Builder.io)";

const dates = {
  startDate: z.string().optional().meta({ format: "date", description: "YYYY-MM-DD, inclusive (required)." }),
  endDate: z.string().optional().meta({ format: "date", description: "YYYY-MM-DD, inclusive (required)." }),
  granularity: param(z.string().optional(), "Bucket size; day spans at most 90 days.", { enum: ["day", "week", "month", "quarter"], default: "day" }),
};

const lines = { linesAdded: z.int(), linesRemoved: z.int(), totalLines: z.int(), linesAccepted: z.int() };
const metrics = { ...lines, events: z.int(), users: z.int(), userPrompts: z.int() };
const tokens = z.object({ total: z.number(), input: z.number(), output: z.number(), cacheWrite: z.number(), cacheInput: z.number() });

function withoutTokens<T extends { tokens: unknown }>(values: T): Omit<T, "tokens"> {
  const { tokens: _tokens, ...rest } = values;
  return rest;
}

export const activityRoutes = [
  defineRoute({
    method: "GET",
    path: "/api/v1/metrics/organization",
    operationId: "organizationMetrics",
    summary: "Code-generation metrics of an organization, with a per-space breakdown",
    tag: TAG,
    scope: "read:billing",
    query: z.object({ ...dates, organizationId: uuid("an organization").optional().meta({ description: "For sessions; API keys omit it (an organization key's organization, or a workspace key's, counting only its space)." }) }),
    responses: {
      "200": jsonResponse("Every bucket of the range, zeros included, in the organization's time zone.", z.object({
        data: z.array(z.object({ period: z.string(), metrics: z.object({ ...metrics, spaces: z.array(z.object({ spaceId: z.uuid(), spaceName: z.string(), ...lines })) }) })),
        summary: z.object({ totalLinesGenerated: z.int(), totalLinesAccepted: z.int(), users: z.int(), totalUserPrompts: z.int() }),
      })),
    },
    async handle({ ctx, query, res }) {
      const metrics = await organizationActivity(ctx, { id: query.organizationId }, query);
      sendRestJson(res, 200, {
        data: metrics.data.map((p) => ({ period: p.period, metrics: { ...withoutTokens(p.metrics), spaces: p.spaces } })),
        summary: metrics.summary,
      });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/metrics/spaces/:spaceId",
    operationId: "spaceMetrics",
    summary: "Code-generation metrics of one space",
    tag: TAG,
    scope: "read:billing",
    query: z.object(dates),
    params: z.object({ spaceId: z.string().meta({ description: "The space (workspace) id." }) }),
    responses: {
      "200": jsonResponse("Every bucket of the range, zeros included, in the space's time zone.", z.object({
        data: z.array(z.object({ period: z.string(), metrics: z.object({ ...metrics, tokens }) })),
        summary: z.object({ totalLinesGenerated: z.int(), totalLinesAccepted: z.int(), totalUsers: z.int(), totalUserPrompts: z.int() }),
      })),
    },
    async handle({ ctx, query, params, res }) {
      const metrics: ActivityMetrics = await spaceActivity(ctx, { id: params.spaceId }, query);
      sendRestJson(res, 200, {
        data: metrics.data.map((p) => ({ period: p.period, metrics: p.metrics })),
        summary: {
          totalLinesGenerated: metrics.summary.totalLinesGenerated,
          totalLinesAccepted: metrics.summary.totalLinesAccepted,
          totalUsers: metrics.summary.users,
          totalUserPrompts: metrics.summary.totalUserPrompts,
        },
      });
    },
  }),
];
