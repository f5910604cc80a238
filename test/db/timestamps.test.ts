// The timestamptz reader of the gateway's pools gives what pg's own parser gives, for the text
// PostgreSQL writes in any session time zone (offsets in hours, minutes and seconds, fractions of
// any length) and for what it leaves to pg's parser (infinities, BC, years before 100 or past 9999).
import { describe, expect, it } from "vitest";
import pg from "pg";
import { parseTimestamptz } from "../../src/db/timestamps.js";
import { usingPostgres } from "../helpers/database.js";
import { databaseTest } from "../helpers/fixtures.js";

const pgParse = pg.types.getTypeParser(1184, "text") as (text: string) => Date | number | null;
const same = (text: string) => expect(parseTimestamptz(text), text).toEqual(pgParse(text));

describe("parseTimestamptz", () => {
  it("reads the usual shape as pg's parser does, whatever the fraction's length and the offset", () => {
    const texts = [
      "2026-12-07 09:30:00+00", "2026-12-07 09:30:00.1+00", "2026-12-07 09:30:00.12+05:30", "2026-12-07 09:30:00.123-03:30",
      "2026-12-07 09:30:00.123456+00", "2026-12-07 09:30:00.999999-00:44:30", "1960-01-01 00:00:00-00:44:30", "2024-02-29 23:59:59.999+14",
      "0100-01-01 00:00:00+00", "9999-12-31 23:59:59.999-12", "1970-01-01 00:00:00.000001+01",
    ];
    for (const text of texts) same(text);
    // And a few thousand more: random instants, fractions of 0–6 digits, offsets of whole hours, quarters and seconds.
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pad = (n: number, width = 2) => String(n).padStart(width, "0");
    for (let i = 0; i < 5_000; i++) {
      const at = new Date(Date.UTC(100, 0, 1) + Math.floor(random() * (Date.UTC(9999, 11, 31) - Date.UTC(100, 0, 1))));
      const fraction = Math.floor(random() * 7);
      const digits = String(Math.floor(random() * 1_000_000)).padStart(6, "0").slice(0, fraction);
      const offset = [`+${pad(Math.floor(random() * 15))}`, `-${pad(Math.floor(random() * 13))}:${pad(15 * Math.floor(random() * 4))}`, `-00:${pad(Math.floor(random() * 60))}:${pad(Math.floor(random() * 60))}`][i % 3]!;
      const text = `${pad(at.getUTCFullYear(), 4)}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}${digits ? `.${digits}` : ""}${offset}`;
      same(text);
    }
  });

  it("leaves every other shape to pg's parser", () => {
    for (const text of ["infinity", "-infinity", "0044-03-15 12:00:00+00 BC", "0099-06-01 00:00:00+00", "0001-01-01 00:00:00+00", "12026-01-01 00:00:00+00", "2026-12-07 09:30:00", "2026-12-07 09:30:00+05:30:15:01"]) {
      same(text);
    }
    expect(parseTimestamptz("2026-12-07 09:30:00.5+01")).toEqual(new Date("2026-12-07T08:30:00.500Z"));
  });
});

const test = databaseTest();

describe.runIf(usingPostgres)("timestamptz read through the gateway's pools", () => {
  test("gives the instants PostgreSQL holds, in session zones of any offset", async ({ db }) => {
    const instants = ["1960-06-01T12:00:00.000Z", "2026-03-29T01:30:00.250Z", "2026-11-01T05:59:59.999Z", "0100-01-01T00:00:00.000Z"];
    for (const zone of ["UTC", "Asia/Kolkata", "America/St_Johns", "Africa/Monrovia", "Pacific/Chatham"]) {
      // A session of the main pool; Database.query's reads below go on the reads' pool.
      const texts = await db.withSession(async (session) => {
        await session.query(`SET TIME ZONE '${zone}'`);
        const rows = await session.query<{ text: string; at: Date }>(`SELECT t::text AS text, t AS at FROM unnest($1::timestamptz[]) AS t`, [instants]);
        await session.query("RESET TIME ZONE");
        return rows;
      });
      expect(texts.map((row) => row.at.toISOString()), zone).toEqual(instants);
      expect(texts.map((row) => (parseTimestamptz(row.text) as Date).toISOString()), zone).toEqual(instants);
    }
    const [read] = (await db.query(`SELECT $1::timestamptz AS at`, ["2026-12-07T09:30:00.123Z"])) as { at: Date }[];
    expect(read!.at).toEqual(new Date("2026-12-07T09:30:00.123Z"));
  });
});
