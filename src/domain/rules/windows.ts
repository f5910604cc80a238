// Time windows, one rule for every surface: a preset period or explicit bounds, half-open
// [from, to), at most so many days. Presets are calendar periods in the caller's time zone, as of
// the request's clock, so that "month to date" in New York is a New York month across DST.
import { DateTime } from "luxon";
import { ValidationError } from "../errors.js";
import { exclusiveEnd } from "./instants.js";

export const PERIODS = ["LAST_24_HOURS", "LAST_7_DAYS", "LAST_30_DAYS", "MONTH_TO_DATE", "LAST_MONTH"] as const;
export type Period = (typeof PERIODS)[number];

/** A half-open window [from, to). */
export interface TimeWindow {
  from: Date;
  to: Date;
}

const DAY_MS = 86_400_000;

/** The window of a preset period ending at `end` (the request's now), months taken in `timeZone`. */
export function periodWindow(period: Period, timeZone: string, end: Date): TimeWindow {
  const local = DateTime.fromJSDate(end, { zone: timeZone });
  switch (period) {
    case "LAST_24_HOURS":
      return { from: local.minus({ hours: 24 }).toJSDate(), to: end };
    case "LAST_7_DAYS":
      return { from: local.minus({ days: 7 }).toJSDate(), to: end };
    case "LAST_30_DAYS":
      return { from: local.minus({ days: 30 }).toJSDate(), to: end };
    case "MONTH_TO_DATE":
      return { from: local.startOf("month").toJSDate(), to: end };
    case "LAST_MONTH": {
      const thisMonth = local.startOf("month");
      return { from: thisMonth.minus({ months: 1 }).toJSDate(), to: thisMonth.toJSDate() };
    }
  }
}

export interface WindowInput {
  period?: Period | null;
  from?: Date | null;
  to?: Date | null;
}

export interface WindowRule {
  maxDays: number;
  /** Without a period or `from`: this period, ending at `to` or now. Without it, `from` is required. */
  defaultPeriod?: Period;
  /** Whether `to` must be given (otherwise it defaults to now). */
  requireTo?: boolean;
  /** The parameters as the surface names them, for messages. */
  names?: { period?: string; from?: string; to?: string };
}

/** The window a request asks for, or a ValidationError naming the parameter at fault. */
export function resolveWindow(input: WindowInput, rule: WindowRule, timeZone: string, now: Date): TimeWindow {
  const names = { period: "period", from: "from", to: "to", ...rule.names };
  if (input.period && (input.from || input.to)) {
    throw ValidationError.single(names.period, `pass ${names.period} or ${names.from}/${names.to}, not both`);
  }
  if (!input.period && rule.requireTo && !input.to) throw ValidationError.single(names.to, `${names.to} is required`, "MISSING_PARAMETER");
  let window: TimeWindow;
  if (input.period) window = periodWindow(input.period, timeZone, now);
  else if (input.from) window = { from: input.from, to: input.to ?? now };
  else if (rule.defaultPeriod) window = periodWindow(rule.defaultPeriod, timeZone, input.to ?? now);
  else throw ValidationError.single(names.from, `${names.from} is required`, "MISSING_PARAMETER");
  checkSpan(window, rule.maxDays, names);
  return window;
}

/** Optional bounds of a listing's filter: either may be absent, but from must come before to. */
export function rangeFilter(from: Date | null | undefined, to: Date | null | undefined, names = { from: "from", to: "to" }): { gte?: Date; lt?: Date } | undefined {
  if (from && to && from >= to) throw ValidationError.single(names.from, `${names.from} must be before ${names.to}`, "INVALID_RANGE");
  if (!from && !to) return undefined;
  return { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) };
}

function checkSpan(window: TimeWindow, maxDays: number, names: { from: string; to: string }): void {
  if (window.from >= window.to) throw ValidationError.single(names.from, `${names.from} must be before ${names.to}`, "INVALID_RANGE");
  const days = (window.to.getTime() - window.from.getTime()) / DAY_MS;
  if (days > maxDays) {
    throw ValidationError.single(names.to, `${names.to} may be at most ${maxDays} days after ${names.from} (got ${Math.ceil(days)})`, "RANGE_TOO_LARGE");
  }
}

/**
 * Local calendar dates given inclusively (YYYY-MM-DD … YYYY-MM-DD) as the window of those whole
 * days in `timeZone`; at most `maxDays` dates.
 */
export function dateRange(startDate: string, endDate: string, rule: { maxDays: number; names?: { from: string; to: string } }, timeZone: string): TimeWindow & { days: number } {
  const names = rule.names ?? { from: "startDate", to: "endDate" };
  const start = DateTime.fromISO(startDate, { zone: timeZone }).startOf("day");
  const end = DateTime.fromISO(endDate, { zone: timeZone }).startOf("day");
  if (end < start) throw ValidationError.single(names.to, `${names.to} must not be before ${names.from}`, "INVALID_RANGE");
  const days = Math.round(end.diff(start, "days").days) + 1;
  if (days > rule.maxDays) throw ValidationError.single(names.to, `the range may span at most ${rule.maxDays} days (got ${days})`, "RANGE_TOO_LARGE");
  return { from: start.toJSDate(), to: exclusiveEnd(end.toJSDate(), end.plus({ days: 1 }).toMillis() - end.toMillis()), days };
}
