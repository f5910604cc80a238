// REST JSON: Decimals and bigints are JSON numbers written from their exact text at any depth;
// everything else is what JSON.stringify writes, and the value given is left as it was.
import { describe, expect, test } from "vitest";
import { Prisma } from "../../src/db/generated/client.js";
import { toJson } from "../../src/rest/json.js";

const { Decimal } = Prisma;

describe("toJson", () => {
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

  test("a client's string is never taken for a number, whatever it holds", () => {
    const sneaky = { note: '~decimal-000000000000000000000000:1.5', other: new Decimal(1) };
    expect(JSON.parse(toJson(sneaky))).toEqual({ note: '~decimal-000000000000000000000000:1.5', other: 1 });
  });
});
