// Dates and instants from clients, one strict reading for every route and argument: ISO 8601
// (a date, or a date-time with an offset), or epoch milliseconds where a route takes them. Dates
// must exist on the calendar (2026-02-30 does not), and years run from 1970 to 9999.
import { z } from "zod";

const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const EPOCH_MS = /^\d{1,15}$/;
const EPOCH_MS_PROBLEM = "must be epoch milliseconds (decimal digits)";
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i;

const outOfRange = "must fall between 1970-01-01 and 9999-12-31";

/** Milliseconds of a calendar date-time in UTC, or null when no such date or time exists. */
function utc(y: number, m: number, d: number, h = 0, min = 0, s = 0, ms = 0): number | null {
  const at = Date.UTC(y, m - 1, d, h, min, s, ms);
  const back = new Date(at);
  // Date.UTC maps years 0–99 to 1900–1999; the range check below refuses them anyway.
  const exists = back.getUTCFullYear() === y && back.getUTCMonth() === m - 1 && back.getUTCDate() === d && h < 24 && min < 60 && s < 60;
  return exists ? at : null;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const fail = (problem: string): Parsed<never> => ({ ok: false, problem });
const inRange = (ms: number): Parsed<Date> => (ms < EARLIEST || ms > LATEST ? fail(outOfRange) : { ok: true, value: new Date(ms) });

/** A calendar date YYYY-MM-DD (no time, no zone), returned as given once checked. */
export function readDate(text: string): Parsed<string> {
  const m = DATE.exec(text);
  if (!m) return fail("must be a date in YYYY-MM-DD format");
  const at = utc(Number(m[1]), Number(m[2]), Number(m[3]));
  if (at === null) return fail("is not a date on the calendar");
  const checked = inRange(at);
  return checked.ok ? { ok: true, value: text } : checked;
}

/**
 * An instant: an ISO 8601 date-time with its offset (Z or ±hh:mm; fractions beyond milliseconds
 * are dropped), or a date alone, meaning its first instant in UTC.
 */
export function readInstant(text: string): Parsed<Date> {
  const date = DATE.exec(text);
  if (date) {
    const at = utc(Number(date[1]), Number(date[2]), Number(date[3]));
    return at === null ? fail("is not a date on the calendar") : inRange(at);
  }
  const m = DATE_TIME.exec(text);
  if (!m) return fail("must be an ISO 8601 date-time with an offset, such as 2026-03-08T09:30:00Z");
  const [, y, mo, d, h, min, s = "0", fraction = "", zone] = m;
  const local = utc(Number(y), Number(mo), Number(d), Number(h), Number(min), Number(s), Number(fraction.padEnd(3, "0").slice(0, 3)));
  if (local === null) return fail("is not a date and time on the calendar");
  let offsetMinutes = 0;
  if (zone!.toUpperCase() !== "Z") {
    const [oh, om] = [Number(zone!.slice(1, 3)), Number(zone!.slice(-2))];
    if (oh > 23 || om > 59) return fail("has an offset that does not exist");
    offsetMinutes = (zone![0] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  return inRange(local - offsetMinutes * 60_000);
}

/** Epoch milliseconds written in decimal digits. */
export function readEpochMs(text: string): Parsed<Date> {
  if (!EPOCH_MS.test(text)) return fail(EPOCH_MS_PROBLEM);
  return inRange(Number(text));
}

/** An instant as ISO 8601 or epoch milliseconds, for routes that take either. */
export function readInstantOrEpoch(text: string): Parsed<Date> {
  return /^\d+$/.test(text) ? readEpochMs(text) : readInstant(text);
}

function rule<T>(read: (text: string) => Parsed<T>) {
  return z.string().transform((text, ctx) => {
    const parsed = read(text);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: "custom", message: parsed.problem });
    return z.NEVER;
  });
}

export const date = () => rule(readDate);
export const instant = () => rule(readInstant);
/** Documented with its pattern; read by readEpochMs. */
export const epochMs = () => z.string().regex(EPOCH_MS, EPOCH_MS_PROBLEM).pipe(rule(readEpochMs));
export const instantOrEpoch = () => rule(readInstantOrEpoch);

/**
 * The exclusive end after an inclusive one: `at` plus `ms`, but never past the last instant the
 * gateway takes (a day after 9999-12-31 would be written as year +010000, which PostgreSQL refuses).
 */
export const exclusiveEnd = (at: Date | number, ms: number) => new Date(Math.min(new Date(at).getTime() + ms, LATEST));

/**
 * The end of a range whose last value is included: a date means through the end of that day
 * (UTC), an instant through that millisecond. Returned as the exclusive end.
 */
export const inclusiveEnd = () =>
  z.string().transform((text, ctx) => {
    const parsed = readInstant(text);
    if (!parsed.ok) {
      ctx.addIssue({ code: "custom", message: parsed.problem });
      return z.NEVER;
    }
    return exclusiveEnd(parsed.value, DATE.test(text) ? 86_400_000 : 1);
  });

/** A Date that is a real instant within the supported years (DateTime arguments, JSON bodies). */
export function instantProblem(value: Date): string | null {
  const ms = value.getTime();
  return Number.isNaN(ms) || ms < EARLIEST || ms > LATEST ? outOfRange : null;
}

/** Clock skew tolerated for the time of something that happened (a charge, an execution). */
const CLOCK_SKEW_MS = 5 * 60_000;

/** What is wrong with the time a client gives for something that happened, as of the request's now. */
export function happenedProblem(at: Date, now: Date): string | null {
  return instantProblem(at) ?? (at.getTime() > now.getTime() + CLOCK_SKEW_MS ? "must not be in the future" : null);
}

/** A time for something to come (an expiry): a real instant after the request's now. */
export const futureInstant = (now: Date) =>
  z.date().superRefine((at, ctx) => {
    const problem = instantProblem(at) ?? (at <= now ? "must be in the future" : null);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
