// Calendar arithmetic in IANA time zones (Luxon); windows and their rules are in rules/windows.ts.
import { LRUCache } from "lru-cache";
import { DateTime, IANAZone } from "luxon";
import type { PeriodRange, RollupQuery } from "../store/aggregates.js";
import { ValidationError } from "./errors.js";

export const GRANULARITIES = ["HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "ALL"] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** Zones found valid: Luxon's check builds an Intl formatter each time (a tenth of a rollup's CPU). */
const validZones = new Set<string>();
const MAX_REMEMBERED_ZONES = 1_000;

export function assertTimeZone(timeZone: string, field = "timeZone"): string {
  if (validZones.has(timeZone)) return timeZone;
  if (timeZone.length > 100 || !IANAZone.isValidZone(timeZone)) throw ValidationError.single(field, `unknown IANA time zone "${timeZone.slice(0, 100)}"`);
  if (validZones.size < MAX_REMEMBERED_ZONES) validZones.add(timeZone);
  return timeZone;
}

/** A local day of a zone: its first instant, the next day's first instant (ms), and its date. */
interface LocalDay {
  start: number;
  end: number;
  date: string;
}

/**
 * Local days by zone and UTC quarter hour. Every window's edges ask for their days, and Luxon
 * allocated about 1 KB per question: a dashboard's 30-day rollup asked a dozen (a tenth of the
 * request's garbage). Only a plain day is remembered: 24 hours at one offset, so that it is one
 * span of instants, and only for a quarter hour wholly inside it. A day with a change of offset may
 * not be one span (St John's fell back from 00:01 to 23:01 until 2011: a quarter hour held
 * instants of two dates), and older boundaries (local mean time) need not fall on quarter hours.
 */
const localDays = new LRUCache<string, LocalDay>({ max: 10_000 });
const QUARTER_HOUR_MS = 900_000;
const DAY_MS = 86_400_000;

function localDay(instant: number, timeZone: string): LocalDay {
  const quarter = Math.floor(instant / QUARTER_HOUR_MS);
  const key = `${timeZone} ${quarter}`;
  const known = localDays.get(key);
  if (known) return known;
  const start = DateTime.fromMillis(instant, { zone: timeZone }).startOf("day");
  const end = nextStart(start, "day");
  const day = { start: start.toMillis(), end: end.toMillis(), date: start.toISODate()! };
  const plain = day.end - day.start === DAY_MS && start.offset === end.minus({ milliseconds: 1 }).offset;
  if (plain && day.start <= quarter * QUARTER_HOUR_MS && (quarter + 1) * QUARTER_HOUR_MS <= day.end) localDays.set(key, day);
  return day;
}

/**
 * Calendar answers that are pure functions of their arguments, remembered: a year's rollup in
 * another zone asked Luxon about its twelve month boundaries and each month's first and last day on
 * every request, about 8 ms of Node's CPU a request in its offset arithmetic (2026-12-07).
 */
const remembered = new LRUCache<string, number>({ max: 10_000 });

function remember(key: string, compute: () => number): number {
  let value = remembered.get(key);
  if (value === undefined) remembered.set(key, (value = compute()));
  return value;
}

/** The first instant (ms) of the bucket of `unit` in `zone` that holds `instant`. */
const bucketStart = (instant: number, zone: string, unit: CalendarUnit) =>
  remember(`b ${zone} ${unit} ${instant}`, () => DateTime.fromMillis(instant, { zone }).startOf(unit).toMillis());

/** The first instant (ms) of the bucket after the one that starts at `start`. */
const nextBucketStart = (start: number, zone: string, unit: CalendarUnit) =>
  remember(`n ${zone} ${unit} ${start}`, () => nextStart(DateTime.fromMillis(start, { zone }), unit).toMillis());

/** The first instant of the local day containing `instant`. */
function startOfLocalDay(instant: Date, timeZone: string): Date {
  return new Date(localDay(instant.getTime(), timeZone).start);
}

/** The local date (YYYY-MM-DD) of an instant. */
export function localDate(instant: Date, timeZone: string): string {
  return localDay(instant.getTime(), timeZone).date;
}

/** The whole local days inside a window, or null when there are none. */
export function wholeDays(window: { from: Date; to: Date }, timeZone: string): { from: Date; to: Date; firstDay: string; endDay: string } | null {
  const first = localDay(window.from.getTime(), timeZone);
  const from = first.start === window.from.getTime() ? first : localDay(first.end, timeZone);
  const to = localDay(window.to.getTime(), timeZone);
  if (from.start >= to.start) return null;
  return { from: new Date(from.start), to: new Date(to.start), firstDay: from.date, endDay: to.date };
}

/**
 * The start of the next day (month, …) after the one starting at `start`. Adding a day and taking
 * the start again: where midnight does not exist (America/Santiago's DST change at 00:00), a day
 * starts at 01:00 and adding 24 hours to it would miss the next day's midnight.
 */
function nextStart(start: DateTime, unit: CalendarUnit): DateTime {
  return start.plus({ [unit]: 1 }).startOf(unit);
}

type CalendarUnit = NonNullable<RollupQuery["unit"]>;

/** Which days (and whole months) a rollup reads from aggregates, and which ranges from records (and their whole hours). */
export type RollupPlan = Pick<RollupQuery, "days" | "raw" | "moves" | "subtract">;

interface Range {
  from: Date;
  to: Date;
}

/**
 * How a rollup in `zone` by `unit` (null: one bucket) reads a window from daily aggregates kept in
 * the local days of `dayZone`. A day that a bucket boundary cuts (a month starting at 18:30 UTC
 * for Asia/Kolkata) counts in the bucket of its longer part, and the raw rows of its shorter part
 * are moved to their own bucket: totals stay exact in any zone while a whole day costs a few
 * aggregate rows, and a cut day at most half a day of raw rows (a day cut twice, more), of which
 * the whole UTC hours come from the hourly tables (withWholeHours).
 */
export function rollupPlan(window: Range, dayZone: string, zone: string, unit: RollupQuery["unit"], now = window.to): RollupPlan {
  const whole = unit === "hour" ? null : wholeDays(window, dayZone);
  if (!whole) return { days: null, raw: [withWholeHours(window, zone, unit)], moves: [], subtract: [] };
  // The boundaries that cut each day: only the buckets' boundaries can, and in the days' own zone none does.
  const cuts = new Map<string, { day: LocalDay; at: Date[] }>();
  if (unit !== null && zone !== dayZone) {
    for (let boundary = nextBucketStart(bucketStart(whole.from.getTime(), zone, unit), zone, unit); boundary < whole.to.getTime(); boundary = nextBucketStart(boundary, zone, unit)) {
      const day = localDay(boundary, dayZone);
      if (day.start === boundary) continue;
      cuts.set(day.date, { day, at: [...(cuts.get(day.date)?.at ?? []), new Date(boundary)] });
    }
  }
  const late: string[] = [];
  const moves: RollupPlan["moves"] = [];
  for (const [date, { day, at }] of cuts) {
    const [from, to, cut] = [new Date(day.start), new Date(day.end), at[0]!];
    // A day cut once counts in its longer part's bucket; one cut twice (days of the two zones of
    // different lengths around a DST change), in its first, and all after the first cut moves.
    if (at.length === 1 && cut.getTime() - from.getTime() < to.getTime() - cut.getTime()) {
      late.push(date);
      moves.push({ from, to: cut, owner: cut });
    } else {
      moves.push({ from: cut, to, owner: from });
    }
  }
  const edges = edgeDays(window, whole, dayZone, unit === null || zone === dayZone, now);
  const days = { zone: dayZone, firstDay: edges.firstDay, endDay: edges.endDay, late };
  const months = unit === null || unit === "month" || unit === "quarter" ? wholeMonths(days, zone, unit) : null;
  const hours = <R extends Range>(range: R) => withWholeHours(range, zone, unit);
  return { days: { ...days, months }, raw: edges.raw.map(hours), moves: moves.map(hours), subtract: edges.subtract.map(hours) };
}

const HOUR_MS = 3_600_000;

/**
 * A range of raw rows with its whole UTC hours, where all of it lies in one bucket: the hourly
 * tables can then stand for those hours, whatever the zone's offset, since no bucket boundary
 * falls inside them. (Hourly buckets are read from the rows: a half-hour zone cuts every hour.)
 */
function withWholeHours<R extends Range>(range: R, zone: string, unit: RollupQuery["unit"]): R {
  const [from, to] = [Math.ceil(range.from.getTime() / HOUR_MS) * HOUR_MS, Math.floor(range.to.getTime() / HOUR_MS) * HOUR_MS];
  if (unit === "hour" || to <= from) return range;
  if (unit !== null) {
    if (bucketStart(range.from.getTime(), zone, unit) !== bucketStart(range.to.getTime() - 1, zone, unit)) return range;
  }
  return { ...range, hours: { from: new Date(from), to: new Date(to) } };
}

/**
 * The first run of whole months (of the days' zone) within the days, each month's days all in one
 * bucket, so that the month's total can stand for them. In the days' own zone, or with one bucket,
 * every month qualifies; in another zone more than 12 hours away, a month's first or last day
 * counts in the neighbouring bucket, and its days are read instead.
 */
function wholeMonths(days: { zone: string; firstDay: string; endDay: string; late: string[] }, zone: string, unit: "month" | "quarter" | null): PeriodRange | null {
  // Months counted as year × 12 + month, each turned into its first day only where needed: Luxon's
  // arithmetic allocated a few DateTimes per month stepped over.
  const [firstDay, endDay] = [DateTime.fromISO(days.firstDay, { zone: "UTC" }), DateTime.fromISO(days.endDay, { zone: "UTC" })];
  const end = endDay.toMillis();
  const sameBucket = (month: number) => unit === null || zone === days.zone ||
    bucketOfDay(isoDate(monthStart(month)), days, zone, unit) === bucketOfDay(isoDate(monthStart(month + 1) - DAY_MS), days, zone, unit);
  let run = null as { first: number; end: number } | null;
  for (let month = firstDay.year * 12 + firstDay.month - 1 + (firstDay.day === 1 ? 0 : 1); monthStart(month + 1) <= end; month++) {
    if (sameBucket(month)) run = { first: run?.first ?? monthStart(month), end: monthStart(month + 1) };
    else if (run) break;
  }
  return run && { first: isoDate(run.first), end: isoDate(run.end) };
}


/** The first instant (UTC, ms) of a month counted as year × 12 + month (0–11); setUTCFullYear takes years 0–99 as they are. */
const monthStart = (month: number) => new Date(0).setUTCFullYear(Math.floor(month / 12), ((month % 12) + 12) % 12, 1);

const isoDate = (ms: number) => DateTime.fromMillis(ms, { zone: "UTC" }).toISODate()!;

/** The bucket (its start, in ms) of a local day (YYYY-MM-DD) of `days.zone`: that of its first instant or, if late, its last. */
function bucketOfDay(day: string, days: { zone: string; late: string[] }, zone: string, unit: CalendarUnit): number {
  const late = days.late.includes(day);
  return remember(`d ${days.zone} ${day} ${late} ${zone} ${unit}`, () => {
    const start = DateTime.fromISO(day, { zone: days.zone }).startOf("day");
    const instant = late ? nextStart(start, "day").minus({ milliseconds: 1 }) : start;
    return instant.setZone(zone).startOf(unit).toMillis();
  });
}

/**
 * How the partial days at the window's edges are read: as their raw rows, or as the day's
 * aggregate less the raw rows of the rest of the day, whichever reads fewer rows, taken to be
 * spread evenly up to `now` and none after it (a window ending now takes today's aggregate less
 * the rows after now: usually none). The aggregate is only taken where the buckets cannot cut the
 * day (one bucket, or buckets of the days' own zone), so that the whole day lands in its rows' bucket.
 */
function edgeDays(window: Range, whole: NonNullable<ReturnType<typeof wholeDays>>, dayZone: string, dayInOneBucket: boolean, now: Date) {
  const rowsIn = (range: Range) => Math.max(0, Math.min(range.to.getTime(), now.getTime()) - range.from.getTime());
  const plan = { firstDay: whole.firstDay, endDay: whole.endDay, raw: [] as Range[], subtract: [] as Range[] };
  const head = { from: window.from, to: whole.from };
  if (head.from < head.to) {
    const rest = { from: startOfLocalDay(window.from, dayZone), to: window.from };
    if (dayInOneBucket && rowsIn(rest) < rowsIn(head)) {
      plan.firstDay = localDate(rest.from, dayZone);
      plan.subtract.push(rest);
    } else {
      plan.raw.push(head);
    }
  }
  const tail = { from: whole.to, to: window.to };
  if (tail.from < tail.to) {
    const rest = { from: window.to, to: new Date(localDay(whole.to.getTime(), dayZone).end) };
    if (dayInOneBucket && rowsIn(rest) < rowsIn(tail)) {
      plan.endDay = localDate(rest.to, dayZone);
      plan.subtract.push(rest);
    } else {
      plan.raw.push(tail);
    }
  }
  return plan;
}
