// Calendar arithmetic in IANA time zones (Luxon); windows and their rules are in rules/windows.ts.
import { DateTime, IANAZone } from "luxon";
import { ValidationError } from "./errors.js";

export const GRANULARITIES = ["HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "ALL"] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export function assertTimeZone(timeZone: string, field = "timeZone"): string {
  if (timeZone.length > 100 || !IANAZone.isValidZone(timeZone)) throw ValidationError.single(field, `unknown IANA time zone "${timeZone.slice(0, 100)}"`);
  return timeZone;
}

/** The first instant of the local day containing `instant`. */
function startOfLocalDay(instant: Date, timeZone: string): Date {
  return DateTime.fromJSDate(instant, { zone: timeZone }).startOf("day").toJSDate();
}

/** The local date (YYYY-MM-DD) of an instant. */
export function localDate(instant: Date, timeZone: string): string {
  return DateTime.fromJSDate(instant, { zone: timeZone }).toISODate()!;
}

/** The whole local days inside a window, or null when there are none. */
export function wholeDays(window: { from: Date; to: Date }, timeZone: string): { from: Date; to: Date; firstDay: string; endDay: string } | null {
  const firstStart = startOfLocalDay(window.from, timeZone);
  const from = firstStart.getTime() === window.from.getTime() ? firstStart : DateTime.fromJSDate(firstStart, { zone: timeZone }).plus({ days: 1 }).toJSDate();
  const to = startOfLocalDay(window.to, timeZone);
  if (from >= to) return null;
  return { from, to, firstDay: localDate(from, timeZone), endDay: localDate(to, timeZone) };
}
