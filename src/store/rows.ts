// Rows that raw SQL returns are parsed, not cast: a column that changes type fails loudly here
// instead of travelling through the domain as the wrong thing.
import { z } from "zod";
import { Prisma } from "../db/generated/client.js";

/** Runs one parameterised statement ($1, $2 …) on whatever connection the caller holds. */
export type RunSql = (sql: string, params: unknown[]) => Promise<unknown[]>;

/** A RunSql over a Prisma client or transaction. */
export const prismaSql =
  (client: { $queryRawUnsafe<T = unknown>(sql: string, ...params: unknown[]): Promise<T> }): RunSql =>
  (sql, params) =>
    client.$queryRawUnsafe<unknown[]>(sql, ...params);

export const col = {
  text: () => z.string(),
  int: () => z.number().int(),
  bool: () => z.boolean(),
  date: () => z.date(),
  json: () => z.unknown(),
  bigint: () => z.union([z.bigint(), z.number().int(), z.string().regex(/^-?\d+$/)]).transform((v) => BigInt(v)),
  /** A count, as a JavaScript number (counts here stay far below 2^53). */
  count: () =>
    z
      .custom<bigint | number | string | Prisma.Decimal>((v) => ["bigint", "number", "string"].includes(typeof v) || Prisma.Decimal.isDecimal(v), "a count")
      .transform((v) => Number(typeof v === "object" ? v.toFixed() : v))
      .pipe(z.number().int().min(0)),
  decimal: () =>
    z
      .custom<Prisma.Decimal | string | number | bigint>((v) => Prisma.Decimal.isDecimal(v) || ["string", "number", "bigint"].includes(typeof v), "a decimal")
      .transform((v) => new Prisma.Decimal(typeof v === "bigint" ? v.toString() : v)),
};

export function parseRows<S extends z.ZodType>(schema: S, rows: unknown[]): z.output<S>[] {
  return z.array(schema).parse(rows);
}
