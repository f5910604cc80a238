// REST JSON: Decimals and bigints are JSON numbers written from their exact text at any depth;
// everything else is what JSON.stringify writes, and the value given is left as it was.
import { describe, expect, test } from "vitest";
import { Prisma } from "../../src/db/generated/client.js";
import { jsonBytes } from "../../src/rest/json.js";

const toJson = (value: unknown) => jsonBytes(value).toString("utf8");

const { Decimal } = Prisma;

describe("jsonBytes", () => {
  test("writes Decimals and bigints as exact numbers, nested in objects and arrays", () => {
    const value = {
      creditsDebited: new Decimal("12345678901234567890.123456"),
      results: [{ id: 9007199254740993n, credits: new Decimal("-0.000001") }, { id: "7", credits: null }],
      deep: { list: [[new Decimal("1e-7")]] },
    };
    expect(toJson(value)).toBe(
      '{"creditsDebited":12345678901234567890.123456,"results":[{"id":9007199254740993,"credits":-0.000001},{"id":"7","credits":null}],"deep":{"list":[[0.0000001]]}}',
    );
  });

  test("leaves the value it is given unchanged", () => {
    const item = { credits: new Decimal("2.5") };
    const value = { results: [item] };
    toJson(value);
    expect(value.results[0]).toBe(item);
    expect(item.credits).toBeInstanceOf(Decimal);
  });

  test("writes the rest as JSON.stringify does: dates, undefined, nulls, strings that look like numbers", () => {
    const value = { at: new Date("2026-12-06T01:02:03.004Z"), gone: undefined, none: null, text: "12.5", holes: [undefined, 1], flag: true };
    expect(toJson(value)).toBe(JSON.stringify(value));
    expect(toJson([])).toBe("[]");
    expect(toJson("plain")).toBe('"plain"');
  });

  test("keeps every character around the numbers, in answers of any size", () => {
    const results = Array.from({ length: 3_000 }, (_, i) => ({ key: `clé-${i} "€" 😀\n`, credits: new Decimal(i).div(8), id: BigInt(i) }));
    const value = { head: "naïve", results, tail: "ß" };
    const text = toJson(value);
    expect(Buffer.byteLength(text)).toBeGreaterThan(128 * 1024);
    expect(text).toBe(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `#${v}` : v)).replace(/"#(\d+)"/g, "$1").replace(/"credits":"([\d.]+)"/g, '"credits":$1'));
    expect(JSON.parse(text).results[1999]).toEqual({ key: 'clé-1999 "€" 😀\n', credits: 249.875, id: 1999 });
  });

  test("a client's string is never taken for a number, whatever it holds", () => {
    const sneaky = { note: '~decimal-000000000000000000000000:1.5', other: new Decimal(1) };
    expect(JSON.parse(toJson(sneaky))).toEqual({ note: '~decimal-000000000000000000000000:1.5', other: 1 });
  });
});
