// Array parameters of the batch statements are written as PostgreSQL array literals by the store
// (arrayLiteral), not by the driver: every value must come back from unnest exactly as it was sent,
// on both databases, whatever it holds.
import { describe, expect } from "vitest";
import { Prisma } from "../../src/db/generated/client.js";
import { arrayLiteral } from "../../src/store/bulk-insert.js";
import { directSql } from "../../src/store/rows.js";
import { databaseTest } from "../helpers/fixtures.js";

const test = databaseTest();

const TEXTS = [
  "plain", "", "NULL", "null", "Null", "nULL", "NULL2", "a_b.c:d+e-f", "2026-12-05T00:00:00.000Z", "-1.5e+3", " padded ", 'a "quoted" word', "back\\slash", "trailing\\", '\\"', "a,b", "{braces}", "{", "}",
  "line\nbreak\r\n", "tab\there", "ünïcødé ✓ 🚀", "'single'", "$1", "ARRAY[1]",
];

describe("arrayLiteral", () => {
  test("every text, NULL and the string 'NULL' come back from unnest as sent, in order", async ({ db }) => {
    const values = [...TEXTS, null, undefined, ...TEXTS.map((text) => `${text}-again`)];
    const rows = (await directSql(db)(`SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n`, [arrayLiteral(values)])) as { v: string | null }[];
    expect(rows.map((row) => row.v)).toEqual(values.map((value) => value ?? null));
  });

  test("numbers, numerics, decimals, bigints, booleans and dates keep their values", async ({ db }) => {
    const at = new Date("2026-03-29T01:30:00.123Z");
    const column = async (type: string, values: unknown[]) =>
      ((await directSql(db)(`SELECT v::text AS v FROM unnest($1::${type}[]) WITH ORDINALITY AS u(v, n) ORDER BY n`, [arrayLiteral(values)])) as { v: string | null }[])
        .map((row) => row.v);
    expect(await column("numeric", ["0.0000025", "-12.5", 7, null])).toEqual(["0.0000025", "-12.5", "7", null]);
    // Decimals by their exact digits, never in exponent form.
    expect(await column("numeric", [new Prisma.Decimal("1e-7"), new Prisma.Decimal("123456789012345678.123456")])).toEqual(["0.0000001", "123456789012345678.123456"]);
    // The same object down a column is written once and reused: only while it repeats.
    const [price, other] = [new Prisma.Decimal("0.0000025"), new Prisma.Decimal("2.5")];
    expect(await column("numeric", [price, price, other, price, null, price])).toEqual(["0.0000025", "0.0000025", "2.5", "0.0000025", null, "0.0000025"]);
    expect(await column("int8", [9007199254740993n, "1"])).toEqual(["9007199254740993", "1"]);
    expect(await column("bool", [true, false])).toEqual(["true", "false"]);
    const [instant] = (await directSql(db)(`SELECT (($1::timestamptz[])[1] = $2::timestamptz) AS same`, [arrayLiteral([at, null]), at.toISOString()])) as { same: boolean }[];
    expect(instant!.same).toBe(true);
  });

  test("an empty list is an empty array", async ({ db }) => {
    const [row] = (await directSql(db)(`SELECT cardinality($1::text[]) AS n`, [arrayLiteral([])])) as { n: number }[];
    expect(row!.n).toBe(0);
  });

  test("refuses an object it cannot write, instead of sending its JSON", () => {
    expect(() => arrayLiteral([{ units: 1 }])).toThrow(/cannot write a Object/);
    expect(() => arrayLiteral([[1, 2]])).toThrow(/cannot write a Array/);
  });
});
