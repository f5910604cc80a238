// Code-generation activity (the Builder Fusion metrics): lines, events, users, prompts and tokens
// per calendar bucket, for one space (workspace) or for an organization with a per-space breakdown.
import { readActivity } from "../store/activity.js";
import { prismaSql } from "../store/rows.js";
import type { RequestContext } from "./context.js";
import { ForbiddenError, NotFoundError, ValidationError } from "./errors.js";
import { readDate } from "./rules/instants.js";
import { dateRange } from "./rules/windows.js";
import { findOrganization, workspaceFor, type Lookup, type WorkspaceTarget } from "./workspaces.js";

const ACTIVITY_GRANULARITIES = ["day", "week", "month", "quarter"] as const;
export type ActivityGranularity = (typeof ACTIVITY_GRANULARITIES)[number];

/** Day buckets over at most 90 days, others over at most three years, as the Builder API allows. */
const MAX_DAILY_SPAN_DAYS = 90;
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
  startDate?: string | null;
  endDate?: string | null;
  granularity?: string | null;
}

/** Dates (YYYY-MM-DD, inclusive) and granularity as the Builder API takes them. */
function parseActivityArgs(args: ActivityArgs): { startDate: string; endDate: string; granularity: ActivityGranularity } {
  const date = (field: "startDate" | "endDate") => {
    const value = args[field];
    if (!value) throw ValidationError.single(field, `${field} is required (YYYY-MM-DD)`, "MISSING_PARAMETER");
    const parsed = readDate(value);
    if (!parsed.ok) throw ValidationError.single(field, `${field} ${parsed.problem}`);
    return parsed.value;
  };
  const startDate = date("startDate");
  const endDate = date("endDate");
  const granularity = (args.granularity ?? "day").toLowerCase();
  if (!(ACTIVITY_GRANULARITIES as readonly string[]).includes(granularity)) {
    throw ValidationError.single("granularity", "granularity must be one of day, week, month, quarter");
  }
  return { startDate, endDate, granularity: granularity as ActivityGranularity };
}

async function activityOf(ctx: RequestContext, spaces: { id: string; name: string }[], timeZone: string, args: ActivityArgs, perSpace: boolean): Promise<ActivityMetrics> {
  const { startDate, endDate, granularity } = parseActivityArgs(args);
  const maxDays = granularity === "day" ? MAX_DAILY_SPAN_DAYS : MAX_SPAN_DAYS;
  const window = dateRange(startDate, endDate, { maxDays }, timeZone);
  const { periods, spaces: bySpace, summary } = await readActivity(prismaSql(ctx.db.prisma), {
    workspaceIds: spaces.map((s) => s.id), from: window.from, to: window.to, timeZone, unit: granularity, startDate, endDate,
  }, perSpace);
  const names = new Map(spaces.map((s) => [s.id, s.name]));
  return {
    data: periods.map(({ period, input, output, cacheWrite, cacheInput, ...row }) => ({
      period,
      metrics: {
        linesAdded: row.linesAdded,
        linesRemoved: row.linesRemoved,
        linesAccepted: row.linesAccepted,
        totalLines: row.totalLines,
        events: row.events,
        users: row.users,
        userPrompts: row.userPrompts,
        tokens: { total: input + output + cacheWrite + cacheInput, input, output, cacheWrite, cacheInput },
      },
      spaces: bySpace.filter((s) => s.period === period).map(({ period: _period, ...s }) => ({ ...s, spaceName: names.get(s.spaceId) ?? "" })),
    })),
    summary,
  };
}

/** Activity of one space, in its own time zone. */
export async function spaceActivity(ctx: RequestContext, target: WorkspaceTarget, args: ActivityArgs): Promise<ActivityMetrics> {
  const workspace = await workspaceFor(ctx, target, "read:billing");
  return activityOf(ctx, [workspace], workspace.timeZone, args, false);
}

/** Activity of an organization's spaces that the caller may read, in the organization's zone, per space too. */
export async function organizationActivity(ctx: RequestContext, lookup: Lookup | { id: string; timeZone: string }, args: ActivityArgs): Promise<ActivityMetrics> {
  const organization = "timeZone" in lookup ? lookup : await findOrganization(ctx, lookup);
  if (!organization || !ctx.access.canSeeOrganization(organization.id)) throw new NotFoundError("Organization");
  const visible = await ctx.db.prisma.workspace.findMany({
    where: { organizationId: organization.id, id: ctx.access.workspaces() },
    select: { id: true, name: true },
    orderBy: { slug: "asc" },
  });
  const spaces = visible.filter((space) => ctx.access.has(space.id, "read:billing"));
  if (visible.length > 0 && spaces.length === 0) throw new ForbiddenError("read:billing");
  return activityOf(ctx, spaces, organization.timeZone, args, true);
}
