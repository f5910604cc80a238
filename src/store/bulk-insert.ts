// One bulk insert for every table: INSERT … SELECT FROM unnest(…) WITH ORDINALITY, one statement
// per batch. PGlite and PostgreSQL both take it, it is many times faster than row-by-row inserts,
// and rows keep their input order (so do their ids). A column that differs between rows is an
// array written by arrayLiteral, which every store uses for its array parameters; one that holds
// the same value in every row is one parameter.
import { Prisma } from "../db/generated/client.js";
import { col, parseRows, type RunSql } from "./rows.js";

export interface ColumnSpec {
  name: string;
  /** PostgreSQL element type: uuid, text, timestamptz, numeric, int4, int8, jsonb, or a quoted enum name. */
  type: string;
}

export interface InsertOptions {
  /** Columns with the same value on every row, sent once. */
  constants?: (ColumnSpec & { value: unknown })[];
  onConflict?: string;
  /** A column list to return, in input order. */
  returning?: string;
}

const isEnum = (type: string) => type.startsWith('"');

// Text that an array literal keeps as it is without quotes: no quote, backslash, comma, brace or
// space (numbers, ids, instants, most keys), and not the word NULL.
const BARE = /^[\w.:+-]+$/;
const NULL_WORD = /^null$/i;
const ESCAPED = /["\\]/g;

/** An object's text as an element: a date's ISO 8601 instant, a decimal's exact digits; nothing else. */
function objectText(value: object): string {
  if (value instanceof Date) return value.toISOString();
  if (Prisma.Decimal.isDecimal(value)) return value.toFixed();
  throw new TypeError(`arrayLiteral: cannot write a ${value.constructor?.name ?? "object"} as an array element`);
}

/**
 * A PostgreSQL array literal of these values (null and undefined as NULL, dates as ISO 8601,
 * decimals as their exact digits), for a `$n::type[]` parameter; the stores pass every array so.
 * Written here rather than left to pg, whose arrayString builds the literal by adding element
 * after element to a string, each quoted: for a batch of 1,000 usage records that was a quarter
 * of everything the ingestion allocated (8 MB a batch).
 */
export function arrayLiteral(values: readonly unknown[]): string {
  const elements = new Array<string>(values.length);
  // The same object often fills a whole column (a batch's SKU price, its createdAt): written once.
  let lastObject: object | null = null;
  let lastText = "";
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      elements[i] = "NULL";
      continue;
    }
    // Numbers, bigints, booleans, instants and decimals go bare: none has a character to quote,
    // none is the word NULL. Only text is tested (two regular expressions an element cost a third).
    const type = typeof value;
    if (type === "object") {
      if (value !== lastObject) {
        lastObject = value as object;
        lastText = objectText(lastObject);
      }
      elements[i] = lastText;
    } else if (type === "number" || type === "bigint" || type === "boolean") elements[i] = String(value);
    else {
      const text = String(value);
      elements[i] = BARE.test(text) && !(text.length === 4 && NULL_WORD.test(text)) ? text : `"${text.replace(ESCAPED, "\\$&")}"`;
    }
  }
  return `{${elements.join(",")}}`;
}

/** A column of a bulk insert with its values, in row order. */
export type InsertColumn = ColumnSpec & { values: readonly unknown[] };

const noRows = (columns: InsertColumn[]) => (columns[0]?.values.length ?? 0) === 0;

/**
 * The text every value of a column has (null for NULL), or undefined where they differ: such a
 * column is sent as one parameter instead of an array of a value a row. Most of a usage batch's
 * columns hold one value (its SKU, price, currency, key, creation time, and the optional fields it
 * leaves out), and PostgreSQL reads an array parameter element by element when it binds the
 * statement: 6 ms of a 1,000-record batch's insert for 24 arrays (server log).
 */
function commonText(values: readonly unknown[]): string | null | undefined {
  const textOf = (value: unknown) => (value === null || value === undefined ? null : typeof value === "object" ? objectText(value) : String(value));
  const first = values[0];
  const text = textOf(first);
  for (let i = 1; i < values.length; i++) if (values[i] !== first && textOf(values[i]) !== text) return undefined;
  return text;
}

function insertStatement(table: string, columns: InsertColumn[], options: InsertOptions): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const param = (value: unknown, type: string) => `$${params.push(value)}::${type}`;
  const constants = (options.constants ?? []).map((c) => param(c.value, c.type));
  // Enum values travel as text and are cast per element.
  const arrays: string[] = [];
  const select = columns.map((column, i) => {
    // The first column stays an array whatever it holds: unnest needs one to give the rows.
    const common = i === 0 ? undefined : commonText(column.values);
    if (common !== undefined) return param(common, column.type);
    arrays.push(param(arrayLiteral(column.values), `${isEnum(column.type) ? "text" : column.type}[]`));
    return isEnum(column.type) ? `c${arrays.length - 1}::${column.type}` : `c${arrays.length - 1}`;
  });
  const aliases = arrays.map((_, i) => `c${i}`);
  const names = [...(options.constants ?? []), ...columns].map((column) => `"${column.name}"`).join(", ");
  const sql = `INSERT INTO "${table}" (${names})
    SELECT ${[...constants, ...select].join(", ")} FROM unnest(${arrays.join(", ")}) WITH ORDINALITY AS r(${aliases.join(", ")}, n)
    ORDER BY n ${options.onConflict ?? ""} ${options.returning ? `RETURNING ${options.returning}` : ""}`;
  return { sql, params };
}

/** Inserts rows given column by column (a store that has its values by column need not make a row of each). */
export async function insertColumns(run: RunSql, table: string, columns: InsertColumn[], options: InsertOptions = {}): Promise<unknown[]> {
  if (noRows(columns)) return [];
  const { sql, params } = insertStatement(table, columns, options);
  return run(sql, params);
}

export function insertRows(run: RunSql, table: string, columns: ColumnSpec[], rows: unknown[][], options: InsertOptions = {}): Promise<unknown[]> {
  return insertColumns(run, table, columns.map((column, i) => ({ ...column, values: rows.map((row) => row[i]) })), options);
}

/**
 * Inserts rows and returns the ids of those inserted (an insert ON CONFLICT DO NOTHING skips some),
 * ascending: the input's order. They come back as one array rather than a row each: 1,000 rows cost
 * the driver a row object and a parse apiece.
 */
export async function insertReturningIds(run: RunSql, table: string, columns: InsertColumn[], options: Omit<InsertOptions, "returning"> = {}): Promise<bigint[]> {
  if (noRows(columns)) return [];
  const { sql, params } = insertStatement(table, columns, { ...options, returning: "id" });
  return idList(await run(`WITH inserted AS (${sql}) SELECT array_agg(id ORDER BY id)::text AS ids FROM inserted`, params));
}

/** The ids of an `ids` column that holds an int8 array's text (NULL for none). */
function idList(rows: unknown[]): bigint[] {
  const ids = parseRows({ ids: col.text().nullable() }, rows)[0]?.ids ?? null;
  return ids === null ? [] : ids.slice(1, -1).split(",").map(BigInt);
}

/**
 * Reserves `count` ids of a table's sequence, in ascending order. The sequence is looked up once,
 * in a subquery: as nextval's argument it was looked up, and cast to regclass, for every id (8 ms
 * for the 1,000 ids of a batch, 1 ms so).
 */
export async function allocateIds(run: RunSql, table: string, count: number): Promise<bigint[]> {
  return idList(await run(
    `SELECT array_agg(id ORDER BY id)::text AS ids FROM (SELECT nextval((SELECT pg_get_serial_sequence('"${table}"', 'id')::regclass)) AS id FROM generate_series(1, $1)) reserved`,
    [count],
  ));
}
