// The domain's pure rules, without a database: windows and presets across DST, strict dates and
// instants, integers, decimals, text, page sizes, signed cursors, global ids, pricing, and the
// Included/On-Demand split.
import { describe, expect, it } from "vitest";
import { Prisma } from "../../src/db/generated/client.js";
import { InvalidCursorError, ValidationError } from "../../src/domain/errors.js";
import { billingOf } from "../../src/domain/executions.js";
import { chargeProblem, priceUsage } from "../../src/domain/pricing.js";
import { decodeGlobalId, encodeGlobalId } from "../../src/domain/rules/global-ids.js";
import { inclusiveEnd, readDate, readEpochMs, readInstant, readInstantOrEpoch } from "../../src/domain/rules/instants.js";
import { decimalProblem, integerParam, mulDiv, quotient } from "../../src/domain/rules/numbers.js";
import { CursorCodec, pageSize } from "../../src/domain/rules/pages.js";
import { freeText, name } from "../../src/domain/rules/text.js";
import { dateRange, periodWindow, rangeFilter, resolveWindow } from "../../src/domain/rules/windows.js";

const D = (value: string | number) => new Prisma.Decimal(value);
const iso = (window: { from: Date; to: Date }) => [window.from.toISOString(), window.to.toISOString()];
const issue = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return { code: error.issues[0]!.code, param: error.param, message: error.message };
    throw error;
  }
  throw new Error("no ValidationError");
};

describe("preset windows", () => {
  it("take calendar months in the zone asked for, across the DST change", () => {
    // 2026-11-01 is the day New York leaves daylight saving time (UTC-4 → UTC-5).
    const now = new Date("2026-11-15T12:00:00Z");
    expect(iso(periodWindow("MONTH_TO_DATE", "America/New_York", now))).toEqual(["2026-11-01T04:00:00.000Z", "2026-11-15T12:00:00.000Z"]);
    expect(iso(periodWindow("LAST_MONTH", "America/New_York", now))).toEqual(["2026-10-01T04:00:00.000Z", "2026-11-01T04:00:00.000Z"]);
    expect(iso(periodWindow("LAST_MONTH", "Asia/Kolkata", now))).toEqual(["2026-09-30T18:30:00.000Z", "2026-10-31T18:30:00.000Z"]);
    // Seven calendar days back from the 3rd at noon is the previous month's 27th at noon, local time.
    expect(iso(periodWindow("LAST_7_DAYS", "America/New_York", new Date("2026-11-03T17:00:00Z")))).toEqual(["2026-10-27T16:00:00.000Z", "2026-11-03T17:00:00.000Z"]);
    expect(iso(periodWindow("LAST_24_HOURS", "UTC", now))).toEqual(["2026-11-14T12:00:00.000Z", "2026-11-15T12:00:00.000Z"]);
  });

  it("end in a leap year's February and a month's last hour as the calendar says", () => {
    expect(iso(periodWindow("MONTH_TO_DATE", "UTC", new Date("2028-02-29T23:30:00Z")))).toEqual(["2028-02-01T00:00:00.000Z", "2028-02-29T23:30:00.000Z"]);
    expect(iso(periodWindow("LAST_MONTH", "UTC", new Date("2028-03-01T00:10:00Z")))).toEqual(["2028-02-01T00:00:00.000Z", "2028-03-01T00:00:00.000Z"]);
    expect(iso(periodWindow("LAST_30_DAYS", "UTC", new Date("2028-03-31T23:59:59Z")))).toEqual(["2028-03-01T23:59:59.000Z", "2028-03-31T23:59:59.000Z"]);
  });
});

describe("resolveWindow", () => {
  const now = new Date("2026-06-15T00:00:00Z");
  const rule = { maxDays: 30 };
  it("takes a period or bounds, not both, and names what is wrong", () => {
    expect(iso(resolveWindow({ from: new Date("2026-06-01T00:00:00Z") }, rule, "UTC", now))).toEqual(["2026-06-01T00:00:00.000Z", "2026-06-15T00:00:00.000Z"]);
    expect(issue(() => resolveWindow({ period: "LAST_7_DAYS", from: now }, rule, "UTC", now))).toMatchObject({ code: "INVALID_PARAMETER", param: "period" });
    expect(issue(() => resolveWindow({}, rule, "UTC", now))).toMatchObject({ code: "MISSING_PARAMETER", param: "from" });
    expect(issue(() => resolveWindow({ from: now, to: now }, rule, "UTC", now))).toMatchObject({ code: "INVALID_RANGE", param: "from" });
    expect(issue(() => resolveWindow({ from: new Date("2026-01-01T00:00:00Z"), to: now }, rule, "UTC", now))).toMatchObject({ code: "RANGE_TOO_LARGE", param: "to" });
    expect(issue(() => resolveWindow({ from: now }, { ...rule, requireTo: true, names: { from: "start", to: "end" } }, "UTC", now))).toMatchObject({ code: "MISSING_PARAMETER", param: "end" });
  });

  it("falls back to a default period ending at `to`, or now", () => {
    const rule30 = { maxDays: 366, defaultPeriod: "LAST_30_DAYS" as const };
    expect(iso(resolveWindow({}, rule30, "UTC", now))).toEqual(["2026-05-16T00:00:00.000Z", "2026-06-15T00:00:00.000Z"]);
    expect(iso(resolveWindow({ to: new Date("2026-03-31T00:00:00Z") }, rule30, "UTC", now))).toEqual(["2026-03-01T00:00:00.000Z", "2026-03-31T00:00:00.000Z"]);
  });

  it("checks the order of a listing's optional bounds", () => {
    expect(rangeFilter(null, null)).toBeUndefined();
    expect(rangeFilter(now, null)).toEqual({ gte: now });
    expect(issue(() => rangeFilter(now, now))).toMatchObject({ code: "INVALID_RANGE", param: "from" });
  });

  it("counts inclusive local dates, whatever the DST change does to their hours", () => {
    const range = dateRange("2026-10-25", "2026-11-07", { maxDays: 90 }, "America/New_York");
    expect(range.days).toBe(14);
    expect(iso(range)).toEqual(["2026-10-25T04:00:00.000Z", "2026-11-08T05:00:00.000Z"]);
    expect(issue(() => dateRange("2026-01-01", "2026-04-01", { maxDays: 90 }, "UTC"))).toMatchObject({ code: "RANGE_TOO_LARGE", param: "endDate" });
    expect(issue(() => dateRange("2026-01-02", "2026-01-01", { maxDays: 90 }, "UTC"))).toMatchObject({ code: "INVALID_RANGE", param: "endDate" });
  });
});

describe("dates and instants", () => {
  it("read strict ISO 8601 with an offset, or a date meaning its UTC midnight", () => {
    expect(readInstant("2026-03-08T09:30:00Z")).toEqual({ ok: true, value: new Date("2026-03-08T09:30:00Z") });
    expect(readInstant("2026-03-08T04:30:00-05:00")).toEqual({ ok: true, value: new Date("2026-03-08T09:30:00Z") });
    expect(readInstant("2026-03-08T09:30:00.123456789+00:00")).toEqual({ ok: true, value: new Date("2026-03-08T09:30:00.123Z") });
    expect(readInstant("2026-03-08")).toEqual({ ok: true, value: new Date("2026-03-08T00:00:00Z") });
    expect(readInstant("2028-02-29T12:00:00Z").ok).toBe(true);
  });

  it("refuse dates that are not on the calendar, times that do not exist, and years out of 1970–9999", () => {
    for (const text of ["2026-02-29", "2026-02-30T00:00:00Z", "2026-04-31", "2026-13-01", "2026-00-01", "2026-01-01T24:00:00Z", "2026-01-01T12:60:00Z",
      "2026-01-01T12:00:60Z", "2026-01-01T12:00:00+24:00", "2026-01-01T12:00:00", "2026-01-01 12:00:00Z", "0000-01-01", "1969-12-31T23:59:59Z",
      "10000-01-01", "-004713-01-01", "20260101", "", "true", "2026-1-1"]) {
      expect([text, readInstant(text).ok]).toEqual([text, false]);
    }
    expect(readInstant("1970-01-01T00:00:00Z").ok).toBe(true);
    expect(readInstant("9999-12-31T23:59:59.999Z").ok).toBe(true);
    expect(readInstant("1970-01-01T00:30:00+01:00").ok).toBe(false); // 1969 in UTC
  });

  it("read calendar dates and epoch milliseconds strictly", () => {
    expect(readDate("2028-02-29")).toEqual({ ok: true, value: "2028-02-29" });
    for (const text of ["2026-02-29", "2026-2-28", "2026-02-28T00:00:00Z", "1969-12-31"]) expect([text, readDate(text).ok]).toEqual([text, false]);
    expect(readEpochMs("1714521600000")).toEqual({ ok: true, value: new Date(1714521600000) });
    for (const text of ["-1", "1e12", "0x10", " 1", "1.5", "-8.64e15", "253402300800000"]) expect([text, readEpochMs(text).ok]).toEqual([text, false]);
    expect(readInstantOrEpoch("1714521600000").ok).toBe(true);
    expect(readInstantOrEpoch("2026-01-01T00:00:00Z").ok).toBe(true);
  });

  it("turn an inclusive end into the exclusive one: a date to the next midnight, an instant to the next millisecond", () => {
    expect(inclusiveEnd().parse("2026-11-30")).toEqual(new Date("2026-12-01T00:00:00Z"));
    expect(inclusiveEnd().parse("2024-12-31T23:59:59.000Z")).toEqual(new Date("2024-12-31T23:59:59.001Z"));
    // Never past the last instant the gateway takes, which PostgreSQL could not be given as text.
    expect(inclusiveEnd().parse("9999-12-31")).toEqual(new Date("9999-12-31T23:59:59.999Z"));
    expect(dateRange("9999-12-01", "9999-12-31", { maxDays: 90 }, "UTC").to).toEqual(new Date("9999-12-31T23:59:59.999Z"));
  });
});

describe("numbers", () => {
  it("read integers written in decimal digits only, within their range", () => {
    const limit = integerParam(1, 200);
    expect(limit.parse("200")).toBe(200);
    for (const text of ["0", "201", "1e1", "0x10", " 5", "5 ", "1.0", "-1", "+5", "", "٥"]) expect([text, limit.safeParse(text).success]).toEqual([text, false]);
  });

  it("fit decimals to the column they go to", () => {
    const credits = { precision: 24, scale: 6, sign: "positive" as const };
    expect(decimalProblem("999999999999999999.999999", credits)).toBeNull();
    expect(decimalProblem("1000000000000000000", credits)).toMatch(/less than 10\^18/);
    expect(decimalProblem("0.0000001", credits)).toMatch(/6 decimal places/);
    expect(decimalProblem("0", credits)).toMatch(/greater than 0/);
    expect(decimalProblem("-1", credits)).toMatch(/greater than 0/);
    expect(decimalProblem("0012.50", credits)).toBeNull();
    for (const text of ["1e3", "1,5", ".5", "5.", "--1", "Infinity", "0x10", ""]) expect([text, decimalProblem(text, credits)]).toEqual([text, expect.stringMatching(/decimal number/)]);
    expect(decimalProblem("10000000000000", { precision: 14, scale: 2 })).toMatch(/less than 10\^12/);
    expect(decimalProblem("-0", { precision: 14, scale: 2, sign: "non-negative" })).toBeNull();
    expect(decimalProblem("0.00", { precision: 14, scale: 2, sign: "non-zero" })).toMatch(/not be 0/);
  });

  it("divide with one rounding, where Prisma's 20 significant digits round twice", () => {
    const [paid, credits] = [new Prisma.Decimal("78.28"), new Prisma.Decimal("3672.781939")];
    expect(paid.div(credits).toDecimalPlaces(20).toFixed()).toBe("0.0213135441472230568"); // …0567947 rounded twice
    expect(quotient(paid, credits, 20).toFixed()).toBe("0.02131354414722305679");
    expect(mulDiv(new Prisma.Decimal("999999999999.99999999"), new Prisma.Decimal("1"), new Prisma.Decimal("3"), 8).toFixed()).toBe("333333333333.33333333");
    expect(quotient(new Prisma.Decimal(1), new Prisma.Decimal(8), 2).toFixed()).toBe("0.13"); // half up
  });

  it("round a × b ÷ c once, half away from zero, in any sign, as decimals of 200 digits do", () => {
    expect(mulDiv(D("-1"), D("1"), D("8"), 2).toFixed()).toBe("-0.13");
    expect(mulDiv(D("1"), D("-1"), D("-8"), 2).toFixed()).toBe("0.13");
    expect(mulDiv(D("0.000000005"), D("1"), D("1"), 8).toFixed()).toBe("0.00000001");
    expect(mulDiv(D("-0.000000004"), D("1"), D("1"), 8).toFixed()).toBe("0"); // not "-0"
    expect(mulDiv(D("7"), D("3"), D("2"), 0).toFixed()).toBe("11");
    expect(mulDiv(D("12.5"), D("0.000001"), D("3.2"), 20).toFixed()).toBe("0.00000390625");
    expect(() => mulDiv(D(1), D(1), D(0), 8)).toThrow(RangeError);
    // Against decimal.js itself, with enough digits to compute the exact value before rounding it.
    const Exact = Prisma.Decimal.clone({ precision: 200 });
    let seed = 7;
    const random = (digits: number) => {
      let text = "";
      for (let i = 0; i < digits; i++) text += String((seed = (seed * 48_271) % 2_147_483_647) % 10);
      return text.replace(/^0+(?=\d)/, "");
    };
    const number = () => {
      const scale = (seed = (seed * 48_271) % 2_147_483_647) % 11;
      const whole = random(1 + (seed % 12));
      return D(`${seed % 3 === 0 ? "-" : ""}${whole}${scale ? `.${random(scale)}` : ""}`);
    };
    for (let i = 0; i < 2_000; i++) {
      const [a, b, c] = [number(), number(), number()];
      if (c.isZero()) continue;
      const places = [0, 2, 6, 8, 12, 20][i % 6]!;
      const expected = new Exact(a.toFixed()).mul(b.toFixed()).div(c.toFixed()).toDecimalPlaces(places, Exact.ROUND_HALF_UP).toFixed();
      expect([a, b, c, places, mulDiv(a, b, c, places).toFixed()].join(" ")).toBe([a, b, c, places, expected].join(" "));
    }
  });
});

describe("text", () => {
  const problem = (schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } }, value: string) => {
    const parsed = schema.safeParse(value);
    return parsed.success ? null : parsed.error!.issues[0]!.message;
  };

  it("refuses NUL and other control characters, and free text keeps its line breaks and tabs", () => {
    expect(problem(name(), "acme-prod")).toBeNull();
    expect(name().parse("  acme-prod ")).toBe("acme-prod");
    for (const text of ["a\u0000b", "\u0007", "a\nb", "\u001b[31m", "\u007f"]) expect(problem(name(), text)).toMatch(/control characters/);
    expect(problem(freeText(200), "line one\nline two\tend\r\n")).toBeNull();
    expect(problem(freeText(200), "a\u0000b")).toMatch(/control characters/);
    expect(problem(name(), "x".repeat(201))).toMatch(/at most 200/);
    expect(problem(name(), "   ")).toMatch(/not be empty/);
  });

  it("refuses half a surrogate pair, which PostgreSQL would store as U+FFFD, and keeps whole pairs", () => {
    for (const text of ["key-\ud800", "\udc00x", "a\ud83d"]) {
      expect(problem(name(), text)).toMatch(/unpaired UTF-16 surrogates/);
      expect(problem(freeText(200), text)).toMatch(/unpaired UTF-16 surrogates/);
    }
    expect(problem(name(), "key-\ud83d\ude00")).toBeNull(); // 😀
  });
});

describe("pages and cursors", () => {
  it("refuse page sizes outside their range instead of cutting them", () => {
    const rule = { default: 50, max: 500 };
    expect([pageSize(null, rule, "first"), pageSize(500, rule, "first")]).toEqual([50, 500]);
    for (const size of [0, -1, 501, 1.5]) expect(issue(() => pageSize(size, rule, "first"))).toMatchObject({ code: "INVALID_PARAMETER", param: "first" });
  });

  it("bind a cursor to its connection and workspace, and refuse one forged, tampered or from elsewhere", () => {
    const codec = new CursorCodec(Buffer.from("a".repeat(64), "hex"));
    const binding = { connection: "Workspace.usageRecords", workspaceId: "w1" };
    const cursor = codec.encode(binding, ["1714521600000", "42"]);
    expect(codec.decode(binding, cursor, "after", 2)).toEqual(["1714521600000", "42"]);
    const [body, mac] = cursor.split(".");
    const forgedBody = Buffer.from(Buffer.from(body!, "base64url").toString().replace("42", "43")).toString("base64url");
    const refused = [
      codec.encode({ ...binding, workspaceId: "w2" }, ["1714521600000", "42"]),
      codec.encode({ ...binding, connection: "Workspace.executions" }, ["1714521600000", "42"]),
      new CursorCodec(Buffer.from("b".repeat(64), "hex")).encode(binding, ["1714521600000", "42"]),
      `${forgedBody}.${mac}`, `${body}.${mac!.slice(1)}x`, "garbage", "", `${cursor}.`, Buffer.from("arrayconnection:5").toString("base64"),
    ];
    for (const other of refused) {
      expect(() => codec.decode(binding, other, "after", 2)).toThrow(InvalidCursorError);
    }
    expect(() => codec.decode(binding, cursor, "after", 3)).toThrow(InvalidCursorError);
  });

  it("read global ids of known types only", () => {
    const types = new Set(["Workspace"]);
    expect(decodeGlobalId(encodeGlobalId("Workspace", "abc-1"), types)).toEqual({ typename: "Workspace", id: "abc-1" });
    for (const id of [encodeGlobalId("Nope", 1), "garbage", encodeGlobalId("Workspace", "a\u0000"), `${encodeGlobalId("Workspace", 1)}==`, encodeGlobalId("Workspace", "")]) {
      expect(() => decodeGlobalId(id, types)).toThrow(ValidationError);
    }
  });
});

describe("pricing", () => {
  it("prices a charge in USD, credits and its own currency, exactly", () => {
    const sku = { listPriceUsd: "0.0025", creditsPerUnit: "0.25" };
    expect(priceUsage(sku, D("2"), "USD")).toMatchObject({ costUsd: D("0.005"), credits: D("0.5"), amount: D("0.005") });
    expect(priceUsage(sku, D("2"), "VCU").amount.toFixed()).toBe("0.05");
    expect(priceUsage(sku, D("2"), "CREDITS").amount.toFixed()).toBe("0.5");
    expect(priceUsage(sku, D("0.000001"), "USD").costUsd.toFixed()).toBe("0"); // below a hundred-millionth of a dollar
    expect(chargeProblem(priceUsage(sku, D("1000"), "USD"))).toBeNull();
    expect(chargeProblem(priceUsage(sku, D("999999999999999999"), "USD"))).toMatch(/too large/);
  });

  it("splits an execution's cost at the monthly limit: Included up to it, On-Demand past it", () => {
    expect(billingOf(D("3"), D("9"), D("10"))).toMatchObject({ billingType: "INCLUDED", includedCostUsd: D("3"), onDemandCostUsd: D("0") });
    expect(billingOf(D("3"), D("10"), D("10")).billingType).toBe("INCLUDED");
    expect(billingOf(D("3"), D("11"), D("10"))).toMatchObject({ billingType: "ON_DEMAND", includedCostUsd: D("2"), onDemandCostUsd: D("1") });
    expect(billingOf(D("3"), D("20"), D("10"))).toMatchObject({ billingType: "ON_DEMAND", includedCostUsd: D("0"), onDemandCostUsd: D("3") });
    expect(billingOf(D("1"), D("1"), D("0"))).toMatchObject({ billingType: "ON_DEMAND", onDemandCostUsd: D("1") });
  });
});
