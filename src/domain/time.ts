// Time windows and calendar buckets in IANA time zones. A "month" is a calendar month where the
// caller is, across DST changes; Luxon does the calendar arithmetic, PostgreSQL the bucketing.
import { DateTime, IANAZone } from "luxon";
import { ValidationError } from "./errors.js";

export const PERIODS = ["LAST_24_HOURS", "LAST_7_DAYS", "LAST_30_DAYS", "MONTH_TO_DATE", "LAST_MONTH"] as const;
export type Period = (typeof PERIODS)[number];

export const GRANULARITIES = ["HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "ALL"] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** A half-open window [from, to). */
export interface TimeWindow {
  from: Date;
  to: Date;
}

export function assertTimeZone(timeZone: string, field = "timeZone"): string {
  if (!IANAZone.isValidZone(timeZone)) throw ValidationError.single(field, `Unknown IANA time zone "${timeZone}"`);
  return timeZone;
}

/** The window of a preset period, as of `now`, with calendar months taken in `timeZone`. */
export function periodWindow(period: Period, timeZone: string, now = new Date()): TimeWindow {
  const local = DateTime.fromJSDate(now, { zone: timeZone });
  const to = now;
  switch (period) {
    case "LAST_24_HOURS":
      return { from: local.minus({ hours: 24 }).toJSDate(), to };
    case "LAST_7_DAYS":
      return { from: local.minus({ days: 7 }).toJSDate(), to };
    case "LAST_30_DAYS":
      return { from: local.minus({ days: 30 }).toJSDate(), to };
    case "MONTH_TO_DATE":
      return { from: local.startOf("month").toJSDate(), to };
    case "LAST_MONTH": {
      const thisMonth = local.startOf("month");
      return { from: thisMonth.minus({ months: 1 }).toJSDate(), to: thisMonth.toJSDate() };
    }
  }
}

/** A window from either a preset period or explicit bounds; exactly one of the two. */
export function resolveWindow(
  input: { period?: Period | null; from?: Date | null; to?: Date | null },
  timeZone: string,
  options: { maxDays?: number; now?: Date } = {},
): TimeWindow {
  const now = options.now ?? new Date();
  if (input.period && (input.from || input.to)) throw ValidationError.single("period", "Pass a period or from/to, not both");
  const window = input.period
    ? periodWindow(input.period, timeZone, now)
    : { from: input.from ?? missing("from"), to: input.to ?? now };
  if (window.from.getTime() >= window.to.getTime()) throw ValidationError.single("from", "from must be before to");
  if (options.maxDays && window.to.getTime() - window.from.getTime() > options.maxDays * 86_400_000) {
    throw ValidationError.single("to", `The window may span at most ${options.maxDays} days`);
  }
  return window;
}

function missing(field: string): never {
  throw ValidationError.single(field, "Pass a period, or from (and optionally to)");
}

/** A Prisma where-fragment for [from, to) on one column; from not before to is a validation error. */
export function timeRangeWhere<C extends string>(column: C, from?: Date | null, to?: Date | null): { [K in C]?: { gte?: Date; lt?: Date } } {
  if (from && to && from >= to) throw ValidationError.single("from", "from must be before to");
  if (!from && !to) return {};
  return { [column]: { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) } } as { [K in C]?: { gte?: Date; lt?: Date } };
}

/** Local calendar-day boundaries: the first instant of the local day containing `instant`. */
export function startOfLocalDay(instant: Date, timeZone: string): Date {
  return DateTime.fromJSDate(instant, { zone: timeZone }).startOf("day").toJSDate();
}

/** The local date (YYYY-MM-DD) of an instant. */
export function localDate(instant: Date, timeZone: string): string {
  return DateTime.fromJSDate(instant, { zone: timeZone }).toISODate()!;
}

/** The first instant of a local date (YYYY-MM-DD) in a zone. */
export function startOfDate(date: string, timeZone: string): Date {
  return DateTime.fromISO(date, { zone: timeZone }).startOf("day").toJSDate();
}

/** The calendar month (in the zone) containing an instant: its window. */
export function monthOf(instant: Date, timeZone: string): TimeWindow {
  const start = DateTime.fromJSDate(instant, { zone: timeZone }).startOf("month");
  return { from: start.toJSDate(), to: start.plus({ months: 1 }).toJSDate() };
}
