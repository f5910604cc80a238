// SQL of code-generation activity: totals per calendar bucket (every bucket of the range, zeros
// included), per space, and over the whole range.
import { arrayLiteral } from "./bulk-insert.js";
import { col, parseRows, type RunSql } from "./rows.js";

export type ActivityUnit = "day" | "week" | "month" | "quarter";

/** The interval between buckets (PostgreSQL has no "1 quarter" interval). */
const STEP: Record<ActivityUnit, string> = { day: "1 day", week: "1 week", month: "1 month", quarter: "3 months" };

export interface ActivityQuery {
  workspaceIds: string[];
  from: Date;
  to: Date;
  timeZone: string;
  unit: ActivityUnit;
  /** The local dates the range starts and ends on (inclusive), for the series of buckets. */
  startDate: string;
  endDate: string;
}

const lines = { linesAdded: col.count(), linesRemoved: col.count(), linesAccepted: col.count(), totalLines: col.count() };
const periodRow = {
  period: col.text(), ...lines, events: col.count(), users: col.count(), userPrompts: col.count(),
  input: col.count(), output: col.count(), cacheWrite: col.count(), cacheInput: col.count(),
};
const spaceRow = { period: col.text(), spaceId: col.text(), ...lines };
const summaryRow = { totalLinesGenerated: col.count(), totalLinesAccepted: col.count(), users: col.count(), totalUserPrompts: col.count() };

const FILTER = `"workspaceId" = ANY($1::uuid[]) AND "occurredAt" >= $2::timestamptz AND "occurredAt" < $3::timestamptz`;
const SUMS = `COALESCE(SUM("linesAdded"), 0) AS "linesAdded", COALESCE(SUM("linesRemoved"), 0) AS "linesRemoved",
  COALESCE(SUM("linesAccepted"), 0) AS "linesAccepted", COALESCE(SUM("totalLines"), 0) AS "totalLines"`;

export async function readActivity(run: RunSql, q: ActivityQuery, perSpace: boolean) {
  const bucket = `date_trunc('${q.unit}', "occurredAt" AT TIME ZONE $4)::date`;
  const params = [arrayLiteral(q.workspaceIds), q.from.toISOString(), q.to.toISOString(), q.timeZone];
  const [periods, spaces, summary] = await Promise.all([
    run(
      `WITH buckets AS (
         SELECT generate_series(date_trunc('${q.unit}', $5::date::timestamp), $6::date::timestamp, '${STEP[q.unit]}'::interval)::date AS period)
       SELECT to_char(b.period, 'YYYY-MM-DD') AS period, ${SUMS}, COUNT(e.id) AS events,
         COUNT(DISTINCT e."userKey") AS users, COALESCE(SUM(e."userPrompts"), 0) AS "userPrompts",
         COALESCE(SUM(e."inputTokens"), 0) AS input, COALESCE(SUM(e."outputTokens"), 0) AS output,
         COALESCE(SUM(e."cacheWriteTokens"), 0) AS "cacheWrite", COALESCE(SUM(e."cacheInputTokens"), 0) AS "cacheInput"
       FROM buckets b LEFT JOIN (SELECT *, ${bucket} AS period FROM "ActivityEvent" WHERE ${FILTER}) e ON e.period = b.period
       GROUP BY b.period ORDER BY b.period`,
      [...params, q.startDate, q.endDate],
    ),
    perSpace
      ? run(`SELECT to_char(${bucket}, 'YYYY-MM-DD') AS period, "workspaceId"::text AS "spaceId", ${SUMS}
             FROM "ActivityEvent" WHERE ${FILTER} GROUP BY 1, 2 ORDER BY 1, 2`, params)
      : Promise.resolve([]),
    run(`SELECT COALESCE(SUM("totalLines"), 0) AS "totalLinesGenerated", COALESCE(SUM("linesAccepted"), 0) AS "totalLinesAccepted",
           COUNT(DISTINCT "userKey") AS users, COALESCE(SUM("userPrompts"), 0) AS "totalUserPrompts"
         FROM "ActivityEvent" WHERE ${FILTER}`, params.slice(0, 3)),
  ]);
  return { periods: parseRows(periodRow, periods), spaces: parseRows(spaceRow, spaces), summary: parseRows(summaryRow, summary)[0]! };
}
