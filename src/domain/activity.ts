// Code-generation activity (the Builder Fusion metrics): lines, events, users, prompts and tokens
// per calendar bucket, for one space (workspace) or for an organization with a per-space breakdown.
import type { Actor } from "../auth/actor.js";
import type { PrismaClient } from "../db/client.js";
import { ValidationError } from "./errors.js";
import { assertWorkspaceScope } from "./access.js";
import { startOfDate } from "./time.js";
import { DateTime } from "luxon";

export const ACTIVITY_GRANULARITIES = ["day", "week", "month", "quarter"] as const;
export type ActivityGranularity = (typeof ACTIVITY_GRANULARITIES)[number];

const MAX_DAILY_SPAN_DAYS = 90;
/** The interval between buckets (PostgreSQL has no "1 quarter" interval). */
const STEP: Record<ActivityGranularity, string> = { day: "1 day", week: "1 week", month: "1 month", quarter: "3 months" };
const MAX_SPAN_DAYS = 1_096;

export interface ActivityTotals {
  linesAdded: number;
  linesRemoved: number;
  linesAccepted: number;
  totalLines: number;
  events: number;
  users: number;
  userPrompts: number;
  tokens: { total: number; input: number; output: number; cacheWrite: number; cacheInput: number };
}

export interface SpaceActivity {
  spaceId: string;
  spaceName: string;
  linesAdded: number;
  linesRemoved: number;
  totalLines: number;
  linesAccepted: number;
}

export interface ActivityPeriod {
  period: string;
  metrics: ActivityTotals;
  spaces: SpaceActivity[];
}

export interface ActivityMetrics {
  data: ActivityPeriod[];
  summary: { totalLinesGenerated: number; totalLinesAccepted: number; users: number; totalUserPrompts: number };
}

export interface ActivityArgs {
  startDate: string;
  endDate: string;
  granularity?: string | null;
}

/** Validates dates (YYYY-MM-DD, inclusive) and granularity as the Builder API does. */
export function parseActivityArgs(args: ActivityArgs): { startDate: string; endDate: string; granularity: ActivityGranularity } {
  const date = (field: string, value: string | undefined) => {
    if (!value) throw ValidationError.single(field, `${field} is required (YYYY-MM-DD)`);
    const parsed = DateTime.fromFormat(value, "yyyy-MM-dd", { zone: "UTC" });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !parsed.isValid) throw ValidationError.single(field, `${field} must be a date in YYYY-MM-DD format`);
    return parsed;
  };
  const start = date("startDate", args.startDate);
  const end = date("endDate", args.endDate);
  const granularity = (args.granularity ?? "day").toLowerCase();
  if (!(ACTIVITY_GRANULARITIES as readonly string[]).includes(granularity)) {
    throw ValidationError.single("granularity", "granularity must be one of day, week, month, quarter");
  }
  if (end < start) throw ValidationError.single("endDate", "endDate must not be before startDate");
  const span = end.diff(start, "days").days + 1;
  if (granularity === "day" && span > MAX_DAILY_SPAN_DAYS) {
    throw ValidationError.single("endDate", `With day granularity the range may span at most ${MAX_DAILY_SPAN_DAYS} days`);
  }
  if (span > MAX_SPAN_DAYS) throw ValidationError.single("endDate", `The range may span at most ${MAX_SPAN_DAYS} days`);
  return { startDate: args.startDate, endDate: args.endDate, granularity: granularity as ActivityGranularity };
}

/**
 * Activity of some workspaces in one time zone. `breakdown` adds per-space rows (organizations).
 * Every bucket of the range is present, with zeros where nothing happened.
 */
export async function activityMetrics(
  prisma: PrismaClient,
  actor: Actor,
  spaces: { id: string; name: string }[],
  timeZone: string,
  args: ActivityArgs,
  breakdown: boolean,
): Promise<ActivityMetrics> {
  for (const space of spaces) assertWorkspaceScope(actor, space.id, "read:billing");
  const { startDate, endDate, granularity } = parseActivityArgs(args);
  const from = startOfDate(startDate, timeZone);
  const to = DateTime.fromJSDate(startOfDate(endDate, timeZone), { zone: timeZone }).plus({ days: 1 }).toJSDate();
  const ids = spaces.map((s) => s.id);
  const filter = `"workspaceId" = ANY($1::uuid[]) AND "occurredAt" >= $2::timestamptz AND "occurredAt" < $3::timestamptz`;
  const bucket = `date_trunc('${granularity}', "occurredAt" AT TIME ZONE $4)::date`;
  const sums = `COALESCE(SUM("linesAdded"), 0)::int AS "linesAdded", COALESCE(SUM("linesRemoved"), 0)::int AS "linesRemoved",
    COALESCE(SUM("linesAccepted"), 0)::int AS "linesAccepted", COALESCE(SUM("totalLines"), 0)::int AS "totalLines"`;
  const params = [ids, from.toISOString(), to.toISOString(), timeZone];

  const [periods, perSpace, [summary]] = await Promise.all([
    prisma.$queryRawUnsafe<Record<string, unknown>[]>(
      `WITH buckets AS (
         SELECT generate_series(date_trunc('${granularity}', $5::date::timestamp), $6::date::timestamp, '${STEP[granularity]}'::interval)::date AS period)
       SELECT to_char(b.period, 'YYYY-MM-DD') AS period, ${sums}, COUNT(e.id)::int AS events,
         COUNT(DISTINCT e."userKey")::int AS users, COALESCE(SUM(e."userPrompts"), 0)::int AS "userPrompts",
         COALESCE(SUM(e."inputTokens"), 0)::float8 AS input, COALESCE(SUM(e."outputTokens"), 0)::float8 AS output,
         COALESCE(SUM(e."cacheWriteTokens"), 0)::float8 AS "cacheWrite", COALESCE(SUM(e."cacheInputTokens"), 0)::float8 AS "cacheInput"
       FROM buckets b LEFT JOIN (SELECT *, ${bucket} AS period FROM "ActivityEvent" WHERE ${filter}) e ON e.period = b.period
       GROUP BY b.period ORDER BY b.period`,
      ...params, startDate, endDate,
    ),
    breakdown
      ? prisma.$queryRawUnsafe<Record<string, unknown>[]>(
          `SELECT to_char(${bucket}, 'YYYY-MM-DD') AS period, "workspaceId" AS "spaceId", ${sums}
           FROM "ActivityEvent" WHERE ${filter} GROUP BY 1, 2 ORDER BY 1, 2`,
          ...params,
        )
      : Promise.resolve([]),
    prisma.$queryRawUnsafe<Record<string, number>[]>(
      `SELECT COALESCE(SUM("totalLines"), 0)::int AS "totalLinesGenerated", COALESCE(SUM("linesAccepted"), 0)::int AS "totalLinesAccepted",
         COUNT(DISTINCT "userKey")::int AS users, COALESCE(SUM("userPrompts"), 0)::int AS "totalUserPrompts"
       FROM "ActivityEvent" WHERE ${filter}`,
      ...params.slice(0, 3),
    ),
  ]);

  const names = new Map(spaces.map((s) => [s.id, s.name]));
  return {
    data: periods.map((row) => {
      const input = Number(row.input), output = Number(row.output), cacheWrite = Number(row.cacheWrite), cacheInput = Number(row.cacheInput);
      return {
        period: row.period as string,
        metrics: {
          linesAdded: row.linesAdded as number,
          linesRemoved: row.linesRemoved as number,
          linesAccepted: row.linesAccepted as number,
          totalLines: row.totalLines as number,
          events: row.events as number,
          users: row.users as number,
          userPrompts: row.userPrompts as number,
          tokens: { total: input + output + cacheWrite + cacheInput, input, output, cacheWrite, cacheInput },
        },
        spaces: perSpace
          .filter((s) => s.period === row.period)
          .map((s) => ({
            spaceId: s.spaceId as string,
            spaceName: names.get(s.spaceId as string) ?? "",
            linesAdded: s.linesAdded as number,
            linesRemoved: s.linesRemoved as number,
            totalLines: s.totalLines as number,
            linesAccepted: s.linesAccepted as number,
          })),
      };
    }),
    summary: summary as ActivityMetrics["summary"],
  };
}
