// Bulk loads: one INSERT … SELECT FROM unnest(…) per chunk, which PGlite and PostgreSQL both take
// and which is many times faster than row-by-row inserts through the ORM.
import type { SqlSession } from "../db/client.js";

export interface ColumnSpec {
  name: string;
  /** PostgreSQL array element type: uuid, text, timestamptz, numeric, int4, int8, jsonb, or an enum. */
  type: string;
}

export async function insertColumns(
  session: SqlSession,
  table: string,
  columns: ColumnSpec[],
  rows: unknown[][],
  onConflict = "",
): Promise<void> {
  if (rows.length === 0) return;
  const arrays = columns.map((_, index) => rows.map((row) => row[index] ?? null));
  const isEnum = (type: string) => type.startsWith('"');
  const unnest = columns.map((column, i) => `$${i + 1}::${isEnum(column.type) ? "text" : column.type}[]`).join(", ");
  // Enum values travel as text and are cast per element.
  const select = columns.map((column, i) => (isEnum(column.type) ? `c${i}::${column.type}` : `c${i}`)).join(", ");
  const aliases = columns.map((_, i) => `c${i}`).join(", ");
  const names = columns.map((column) => `"${column.name}"`).join(", ");
  await session.query(
    `INSERT INTO "${table}" (${names}) SELECT ${select} FROM unnest(${unnest}) AS u(${aliases}) ${onConflict}`,
    arrays,
  );
}

/** Reserves `count` ids of a table's sequence, in ascending order. */
export async function allocateIds(session: SqlSession, table: string, count: number): Promise<bigint[]> {
  const rows = await session.query<{ id: string }>(
    `SELECT nextval(pg_get_serial_sequence('"${table}"', 'id'))::text AS id FROM generate_series(1, $1)`,
    [count],
  );
  return rows.map((row) => BigInt(row.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
