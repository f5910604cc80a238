// The column parsers that turn raw SQL rows into the domain's types, on values as each driver gives
// them: node-postgres (numeric and int8 as text), PGlite (int8 as a number), Prisma (Decimal, bigint).
import { describe, expect, it } from "vitest";
import { Prisma } from "../../src/db/generated/client.js";
import { col, parseRows, RowShapeError, together } from "../../src/store/rows.js";

describe("row parsers", () => {
  const schema = { id: col.bigint(), amount: col.decimal(), n: col.count(), at: col.date().nullable(), name: col.text().nullable() };

  it("converts each driver's form of a column to one type, and keeps only the declared columns", () => {
    const at = new Date("2026-11-01T00:00:00Z");
    const rows = parseRows(schema, [
      { id: "9007199254740993", amount: "0.10000000", n: "7", at, name: "a", extra: 1 },
      { id: 42, amount: new Prisma.Decimal("2.5"), n: 3n, at: null, name: null },
      { id: 5n, amount: 1, n: new Prisma.Decimal(4), at, name: "b" },
    ]);
    expect(rows.map((row) => row.id)).toEqual([9007199254740993n, 42n, 5n]);
    expect(rows.map((row) => row.amount.toFixed())).toEqual(["0.1", "2.5", "1"]);
    expect(rows.map((row) => row.n)).toEqual([7, 3, 4]);
    expect(rows.map((row) => row.at)).toEqual([at, null, at]);
    expect(rows[0]).not.toHaveProperty("extra");
    // JSON's own null is a value; only a missing column is refused.
    expect(parseRows({ breakdown: col.json() }, [{ breakdown: null }, { breakdown: [1] }])).toEqual([{ breakdown: null }, { breakdown: [1] }]);
    expect(() => parseRows({ breakdown: col.json() }, [{}])).toThrow(/column breakdown: expected JSON, got undefined/);
  });

  it("refuses a value of another kind, a null where none may be, and an integer a number cannot hold exactly", () => {
    const valid = { id: "1", amount: "1", n: 1, at: null, name: null };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...valid, id: "1.5" }, /column id: expected an integer, got string/],
      [{ ...valid, id: 2 ** 53 + 2 }, /column id: expected an integer/],
      [{ ...valid, amount: null }, /column amount: expected a decimal, got null/],
      [{ ...valid, amount: true }, /column amount: expected a decimal, got boolean/],
      [{ ...valid, n: -1 }, /column n: expected a count/],
      [{ ...valid, n: "2.5" }, /column n: expected a count/],
      [{ ...valid, at: "2026-11-01" }, /column at: expected a date, got string/],
      [{ ...valid, at: new Date("infinity") }, /column at: expected a date, got object/],
      [{ ...valid, n: "" }, /column n: expected a count/],
      [{ ...valid, name: 3 }, /column name: expected text, got number/],
      [{ id: "1", amount: "1", n: 1, at: null }, /column name: expected text, got undefined/],
    ];
    for (const [row, message] of cases) {
      expect(() => parseRows(schema, [row]), message.source).toThrow(RowShapeError);
      expect(() => parseRows(schema, [row])).toThrow(message);
    }
  });
});

describe("together", () => {
  const later = <T>(ms: number, settle: () => T) => new Promise<T>((resolve) => setTimeout(() => resolve(settle()), ms));

  it("answers each statement's result in the order asked", async () => {
    expect(await together([later(20, () => 1), Promise.resolve("two"), later(5, () => [3])])).toEqual([1, "two", [3]]);
  });

  it("throws the first failure in the order asked, though a later one settled first", async () => {
    const first = later(30, () => Promise.reject(new Error("the statement that failed")));
    const aborted = Promise.reject(new Error("current transaction is aborted"));
    await expect(together([later(10, () => "ok"), first, aborted])).rejects.toThrow("the statement that failed");
  });
});
