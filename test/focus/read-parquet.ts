// Parquet read back by an independent reader (DuckDB), as the checker reads files: each column's
// Parquet type, and each value as the text of its FOCUS format (decimals exact, date-times as
// YYYY-MM-DDTHH:mm:ssZ), so that the rows compare value for value with the CSV of the same range.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Cell, FocusFile } from "./focus-checker.js";

export interface ParquetRead extends FocusFile {
  /** DuckDB's type of each column, e.g. DECIMAL(38,8), TIMESTAMP WITH TIME ZONE, VARCHAR. */
  types: Record<string, string>;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Decimal text without trailing fractional zeros: "1.50000000" → "1.5", "2.000" → "2". */
export const decimalText = (text: string) => (text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text);

const dateTimeText = (ms: bigint) => {
  const iso = new Date(Number(ms)).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, 19)}Z` : iso;
};

/** Reads a Parquet file (bytes) with DuckDB. */
export async function readParquet(bytes: Buffer): Promise<ParquetRead> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "focus-parquet-"));
  const file = path.join(dir, "export.parquet");
  fs.writeFileSync(file, bytes);
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const source = `read_parquet('${file}')`;
    const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjects();
    const types = Object.fromEntries(described.map((row) => [String(row.column_name), String(row.column_type)]));
    const columns = Object.keys(types);
    const select = columns.map((name) => (types[name]!.startsWith("TIMESTAMP") ? `epoch_ms(${quote(name)})` : `CAST(${quote(name)} AS VARCHAR)`));
    const rows = (await connection.runAndReadAll(`SELECT ${select.join(", ") || "1"} FROM ${source}`)).getRows();
    const cell = (value: unknown, type: string): Cell => {
      if (value === null) return { text: null, kind: "null" };
      if (type.startsWith("DECIMAL")) return { text: decimalText(String(value)), kind: "number" };
      if (type.startsWith("TIMESTAMP")) return { text: dateTimeText(BigInt(value as bigint)), kind: "string" };
      return { text: String(value), kind: "string" };
    };
    return { format: "parquet", columns, types, rows: rows.map((row) => columns.map((name, i) => cell(row[i], types[name]!))) };
  } finally {
    connection.closeSync();
    instance.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
