// Rows that raw SQL returns are parsed, not cast: a column that changes type fails loudly here
// instead of travelling through the domain as the wrong thing. Written by hand rather than with
// zod: its schemas took 1.9 ms to parse a 250-row rollup, more than PostgreSQL took to compute it.
import type { Database, ReadPlan } from "../db/client.js";
import { Prisma } from "../db/generated/client.js";

/** Runs one parameterised statement ($1, $2 …) on whatever connection the caller holds. */
export type RunSql = (sql: string, params: unknown[]) => Promise<unknown[]>;

/**
 * Statements asked for together on one transaction (sent together on PostgreSQL: Database.transaction),
 * awaited as one. A failure aborts the transaction, so those asked after it fail too, and their
 * rejections may settle first: what is thrown is the first failure in the order asked.
 */
export async function together<T extends readonly unknown[] | []>(statements: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = (await Promise.allSettled(statements)) as PromiseSettledResult<unknown>[];
  for (const one of settled) if (one.status === "rejected") throw one.reason;
  return settled.map((one) => (one as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/** A RunSql over a Prisma client or transaction. */
export const prismaSql =
  (client: { $queryRawUnsafe<T = unknown>(sql: string, ...params: unknown[]): Promise<T> }): RunSql =>
  (sql, params) =>
    client.$queryRawUnsafe<unknown[]>(sql, ...params);

/** A RunSql for reads outside transactions, past Prisma's row mapping; planned as `plan` says (Database.query). */
export const directSql =
  (db: Pick<Database, "query">, options?: { plan?: ReadPlan }): RunSql =>
  (sql, params) =>
    db.query(sql, params, options);

/** A column's value as the domain takes it; throws when the driver gave something else. */
export type Column<T> = (value: unknown, name: string) => T;

/** A column that may also be NULL. */
type NullableColumn<T> = Column<T> & { nullable(): Column<T | null> };

export class RowShapeError extends Error {}

/** `convert` returns undefined for a value that is not `kind`. */
function column<T>(kind: string, convert: (value: unknown) => T | undefined): NullableColumn<T> {
  const parse: Column<T> = (value, name) => {
    const converted = value === null || value === undefined ? undefined : convert(value);
    if (converted === undefined) throw new RowShapeError(`column ${name}: expected ${kind}, got ${value === null ? "null" : typeof value}`);
    return converted;
  };
  return Object.assign(parse, { nullable: (): Column<T | null> => (value, name) => (value === null ? null : parse(value, name)) });
}

const INTEGER = /^-?\d+$/;

export const col = {
  text: () => column("text", (v) => (typeof v === "string" ? v : undefined)),
  int: () => column("an integer", (v) => (Number.isInteger(v) ? (v as number) : undefined)),
  bool: () => column("a boolean", (v) => (typeof v === "boolean" ? v : undefined)),
  date: () => column("a date", (v) => (v instanceof Date && !Number.isNaN(v.getTime()) ? v : undefined)),
  /** A JSON column, as the driver parsed it (JSON's null included; absent is not). */
  json: (): Column<Prisma.JsonValue> => (value, name) => {
    if (value === undefined) throw new RowShapeError(`column ${name}: expected JSON, got undefined`);
    return value as Prisma.JsonValue;
  },
  /** One of a PostgreSQL enum's labels, as the TypeScript union of them. */
  label: <T extends string>() => column("a label", (v) => (typeof v === "string" ? (v as T) : undefined)),
  bigint: () =>
    column("an integer", (v) =>
      typeof v === "bigint" ? v : Number.isSafeInteger(v) ? BigInt(v as number) : typeof v === "string" && INTEGER.test(v) ? BigInt(v) : undefined,
    ),
  /** A count, as a JavaScript number (counts here stay far below 2^53). */
  count: () =>
    column("a count", (v) => {
      const n = typeof v === "number" ? v : typeof v === "bigint" || (typeof v === "string" && INTEGER.test(v)) ? Number(v) : Prisma.Decimal.isDecimal(v) ? v.toNumber() : NaN;
      return Number.isInteger(n) && n >= 0 ? n : undefined;
    }),
  decimal: () =>
    column("a decimal", (v) =>
      Prisma.Decimal.isDecimal(v) || typeof v === "string" || typeof v === "number" ? new Prisma.Decimal(v) : typeof v === "bigint" ? new Prisma.Decimal(v.toString()) : undefined,
    ),
};

export type RowSchema = Record<string, Column<unknown>>;
export type RowOf<S extends RowSchema> = { [K in keyof S]: ReturnType<S[K]> };

/** The schema of these columns only (in the schema's order), for a read of fewer columns. */
export function pickColumns<S extends RowSchema, K extends keyof S & string>(schema: S, names: readonly K[]): Pick<S, K> {
  return Object.fromEntries(Object.entries(schema).filter(([name]) => names.includes(name as K))) as Pick<S, K>;
}

/** The rows with the schema's columns only, each converted by its column. */
export function parseRows<S extends RowSchema>(schema: S, rows: unknown[]): RowOf<S>[] {
  const names = Object.keys(schema);
  return rows.map((raw) => {
    const source = raw as Record<string, unknown>;
    const parsed: Record<string, unknown> = {};
    for (const name of names) parsed[name] = schema[name]!(source[name], name);
    return parsed as RowOf<S>;
  });
}
