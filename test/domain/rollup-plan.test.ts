// How a rollup reads the daily tables in another zone, where a zone skips its midnight: in
// America/Santiago, 2026-09-06 starts at 01:00 (clocks jump from 00:00 to 01:00) and every later
// day at 00:00 again. (The rollup-versus-raw-rows tests in test/graphql/dashboard.test.ts cover
// the SQL; the demo's window holds no skipped midnight.)
import { DateTime } from "luxon";
import { describe, expect, test } from "vitest";
import { localDate, rollupPlan, wholeDays } from "../../src/domain/time.js";

const at = (iso: string) => new Date(iso);
const iso = (date: Date) => date.toISOString();

describe("rollupPlan across a skipped midnight", () => {
  test("buckets of the requested zone start at its real midnights after the change", () => {
    // London's days (BST, UTC+1) cut by Santiago's midnights: 2026-09-06 04:00Z (01:00 −03), then 2026-09-07 03:00Z.
    const plan = rollupPlan({ from: at("2026-09-04T23:00:00Z"), to: at("2026-09-09T23:00:00Z") }, "Europe/London", "America/Santiago", "day");
    const cuts = plan.moves.map((move) => iso(move.owner.getTime() === move.to.getTime() ? move.to : move.from));
    expect(cuts).toEqual(["2026-09-05T04:00:00.000Z", "2026-09-06T04:00:00.000Z", "2026-09-07T03:00:00.000Z", "2026-09-08T03:00:00.000Z", "2026-09-09T03:00:00.000Z"]);
    // Each cut falls early in London's day: the day counts in its later bucket and its first hours move.
    expect(plan.days?.late).toEqual(["2026-09-05", "2026-09-06", "2026-09-07", "2026-09-08", "2026-09-09"]);
    expect(plan.moves.map((m) => [iso(m.from), iso(m.to)])[2]).toEqual(["2026-09-06T23:00:00.000Z", "2026-09-07T03:00:00.000Z"]);
  });

  test("the workspace's short day ends at the next real midnight", () => {
    // Santiago's 2026-09-06 runs 04:00Z to 03:00Z the next day (23 hours); UTC's midnight cuts it late.
    const plan = rollupPlan({ from: at("2026-09-05T15:00:00Z"), to: at("2026-09-08T15:00:00Z") }, "America/Santiago", "UTC", "day");
    // The window's first partial day ends where the first whole day starts: Santiago's 01:00 on the 6th.
    expect(plan.raw.map((r) => [iso(r.from), iso(r.to)])).toEqual([
      ["2026-09-05T15:00:00.000Z", "2026-09-06T04:00:00.000Z"],
      ["2026-09-08T03:00:00.000Z", "2026-09-08T15:00:00.000Z"],
    ]);
    expect(plan.days).toMatchObject({ firstDay: "2026-09-06", endDay: "2026-09-08", late: [] });
    expect(plan.moves.map((m) => [iso(m.from), iso(m.to), iso(m.owner)])).toEqual([
      ["2026-09-07T00:00:00.000Z", "2026-09-07T03:00:00.000Z", "2026-09-06T04:00:00.000Z"],
      ["2026-09-08T00:00:00.000Z", "2026-09-08T03:00:00.000Z", "2026-09-07T03:00:00.000Z"],
    ]);
  });

  test("a window that starts on the short day reads raw rows up to the next real midnight", () => {
    const plan = rollupPlan({ from: at("2026-09-06T15:00:00Z"), to: at("2026-09-09T15:00:00Z") }, "America/Santiago", "UTC", "day");
    expect(plan.raw.map((r) => [iso(r.from), iso(r.to)])[0]).toEqual(["2026-09-06T15:00:00.000Z", "2026-09-07T03:00:00.000Z"]);
    expect(plan.days).toMatchObject({ firstDay: "2026-09-07", endDay: "2026-09-09" });
  });

  test("moves nothing in the days' own zone", () => {
    const plan = rollupPlan({ from: at("2026-09-05T15:00:00Z"), to: at("2026-10-08T15:00:00Z") }, "America/Santiago", "America/Santiago", "month");
    expect(plan.moves).toEqual([]);
    expect(plan.days?.late).toEqual([]);
  });
});

describe("rollupPlan at the window's partial days", () => {
  const ranges = (list: { from: Date; to: Date }[]) => list.map((r) => [iso(r.from), iso(r.to)]);
  // The last 30 days at 05:00 UTC: 19 hours of the first day are in the window, 5 of today.
  const window = { from: at("2026-11-05T05:00:00Z"), to: at("2026-12-05T05:00:00Z") };

  test("reads a day's aggregate less the rest of the day where the rest holds fewer rows", () => {
    const plan = rollupPlan(window, "UTC", "UTC", null, window.to);
    // Today's rest lies after now: its aggregate less the (usually no) rows after now.
    expect(ranges(plan.subtract)).toEqual([["2026-11-05T00:00:00.000Z", "2026-11-05T05:00:00.000Z"], ["2026-12-05T05:00:00.000Z", "2026-12-06T00:00:00.000Z"]]);
    expect(plan.raw).toEqual([]);
    expect(plan.days).toMatchObject({ firstDay: "2026-11-05", endDay: "2026-12-06" });
  });

  test("reads the raw rows of a partial day where they are fewer", () => {
    const past = { from: at("2026-11-05T20:00:00Z"), to: at("2026-12-04T03:00:00Z") };
    const plan = rollupPlan(past, "UTC", "UTC", "month", at("2026-12-05T05:00:00Z"));
    expect(ranges(plan.raw)).toEqual([["2026-11-05T20:00:00.000Z", "2026-11-06T00:00:00.000Z"], ["2026-12-04T00:00:00.000Z", "2026-12-04T03:00:00.000Z"]]);
    expect(plan.subtract).toEqual([]);
    expect(plan.days).toMatchObject({ firstDay: "2026-11-06", endDay: "2026-12-04" });
  });

  test("keeps the raw rows where another zone's buckets could cut the day", () => {
    const plan = rollupPlan(window, "UTC", "Asia/Kolkata", "day", window.to);
    expect(ranges(plan.raw)).toEqual([["2026-11-05T05:00:00.000Z", "2026-11-06T00:00:00.000Z"], ["2026-12-05T00:00:00.000Z", "2026-12-05T05:00:00.000Z"]]);
    expect(plan.subtract).toEqual([]);
    // One bucket over the window: no bucket cuts a day, whatever the zone.
    expect(rollupPlan(window, "UTC", "Asia/Kolkata", null, window.to).subtract).toHaveLength(2);
  });
});

describe("rollupPlan's whole months", () => {
  // A year of a UTC workspace, from mid-December to mid-December.
  const year = { from: at("2025-12-14T10:00:00Z"), to: at("2026-12-14T10:00:00Z") };

  test("take the whole months inside the days, for months, quarters and one bucket", () => {
    for (const unit of ["month", "quarter", null] as const) {
      expect(rollupPlan(year, "UTC", "UTC", unit).days?.months, String(unit)).toEqual({ first: "2026-01-01", end: "2026-12-01" });
    }
    // Days and weeks straddle months: their buckets need the days.
    expect(rollupPlan(year, "UTC", "UTC", "week").days?.months).toBeNull();
    expect(rollupPlan(year, "UTC", "UTC", "day").days?.months).toBeNull();
    // A window without a whole month has none.
    expect(rollupPlan({ from: at("2026-11-05T05:00:00Z"), to: at("2026-12-05T05:00:00Z") }, "UTC", "UTC", "month").days?.months).toBeNull();
  });

  test("in a zone less than 12 hours away, every month's days share its bucket", () => {
    // Kolkata's months start at 18:30 UTC the day before: a cut day counts in its longer part, the earlier month.
    expect(rollupPlan(year, "UTC", "Asia/Kolkata", "month").days?.months).toEqual({ first: "2026-01-01", end: "2026-12-01" });
    // New York's months start at 04:00 or 05:00 UTC: the first day of each UTC month is late, and counts in the month too.
    const newYork = rollupPlan(year, "UTC", "America/New_York", "month");
    expect(newYork.days?.late).toContain("2026-03-01");
    expect(newYork.days?.months).toEqual({ first: "2026-01-01", end: "2026-12-01" });
  });

  test("are left to the days where a month's last day counts in the next month's bucket", () => {
    // Kiritimati (UTC+14) starts its months at 10:00 UTC the day before: the last day of each UTC
    // month lies mostly in Kiritimati's next month, so no UTC month is one of its months.
    const plan = rollupPlan(year, "UTC", "Pacific/Kiritimati", "month");
    expect(plan.days?.late).toContain("2026-03-31");
    expect(plan.days?.months).toBeNull();
    // By quarter, the months inside a quarter still are.
    expect(rollupPlan(year, "UTC", "Pacific/Kiritimati", "quarter").days?.months).toEqual({ first: "2026-01-01", end: "2026-03-01" });
  });
});

describe("rollupPlan's whole hours", () => {
  const year = { from: at("2025-12-14T10:00:00Z"), to: at("2026-12-14T10:20:00Z") };
  const hours = (range: { hours?: { from: Date; to: Date } }) => (range.hours ? [iso(range.hours.from), iso(range.hours.to)] : null);

  test("stand for the whole UTC hours of a moved part of a day, leaving the half hour to the rows", () => {
    const plan = rollupPlan(year, "UTC", "Asia/Kolkata", "month");
    // Kolkata's April starts 2026-03-31T18:30Z: the UTC day's last 5.5 hours move, 5 of them whole hours.
    const april = plan.moves.find((move) => iso(move.from) === "2026-03-31T18:30:00.000Z")!;
    expect(hours(april)).toEqual(["2026-03-31T19:00:00.000Z", "2026-04-01T00:00:00.000Z"]);
    // The window's partial first and last days: whole hours from 10:00 on the first, to 10:00 on the last.
    expect(plan.raw.map(hours)).toEqual([["2025-12-14T10:00:00.000Z", "2025-12-15T00:00:00.000Z"], ["2026-12-14T00:00:00.000Z", "2026-12-14T10:00:00.000Z"]]);
  });

  test("are not taken where a bucket boundary falls inside the range, nor for hourly buckets", () => {
    // By day in Kolkata, the window's first partial UTC day holds Kolkata's midnight (18:30Z); its
    // last (00:00–10:20Z, 05:30–15:50 in Kolkata) does not.
    const byDay = rollupPlan(year, "UTC", "Asia/Kolkata", "day");
    expect(byDay.raw.map(hours)).toEqual([null, ["2026-12-14T00:00:00.000Z", "2026-12-14T10:00:00.000Z"]]);
    expect(rollupPlan({ from: at("2026-12-13T10:00:00Z"), to: at("2026-12-14T10:00:00Z") }, "UTC", "UTC", "hour").raw.map(hours)).toEqual([null]);
    // One bucket: every whole hour of a window shorter than a day.
    const short = rollupPlan({ from: at("2026-12-14T02:30:00Z"), to: at("2026-12-14T10:20:00Z") }, "UTC", "Asia/Kolkata", null);
    expect(short.raw.map(hours)).toEqual([["2026-12-14T03:00:00.000Z", "2026-12-14T10:00:00.000Z"]]);
  });
});

describe("local days", () => {
  // Days around changes of offset, walked every five minutes forwards then backwards, so that each
  // answer may come from what an earlier question remembered: St John's fell back from 00:01 to
  // 23:01 (a UTC quarter hour held instants of two dates), Santiago skips its midnight, Adak changed
  // its date with its owner in 1867, Monrovia left an offset of -00:44:30 in 1972.
  const changes: [string, string][] = [
    ["America/St_Johns", "1995-10-29T02:31:00Z"], ["America/St_Johns", "2010-03-14T03:31:00Z"], ["America/Santiago", "2026-09-06T04:00:00Z"],
    ["America/Adak", "1867-10-19T00:30:00Z"], ["Africa/Monrovia", "1972-01-07T00:44:30Z"], ["Asia/Kolkata", "2026-12-07T18:30:00Z"],
  ];
  test.each(changes)("in %s around %s are Luxon's, however they were asked before", (zone, change) => {
    const instants = Array.from({ length: 24 * 12 * 2 }, (_, i) => new Date(Date.parse(change) - 86_400_000 + i * 300_000));
    for (const instant of [...instants, ...instants.reverse()]) {
      expect(localDate(instant, zone), `${zone} ${instant.toISOString()}`).toBe(DateTime.fromJSDate(instant, { zone }).toISODate());
      const days = wholeDays({ from: instant, to: new Date(instant.getTime() + 3 * 86_400_000) }, zone)!;
      const firstStart = DateTime.fromJSDate(instant, { zone }).startOf("day");
      const expected = firstStart.toMillis() === instant.getTime() ? firstStart : firstStart.plus({ days: 1 }).startOf("day");
      expect(days.firstDay, `${zone} ${instant.toISOString()}`).toBe(expected.toISODate());
      expect(days.from.getTime(), `${zone} ${instant.toISOString()}`).toBe(expected.toMillis());
    }
  });
});
