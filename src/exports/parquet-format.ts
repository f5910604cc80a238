// FOCUS rows as Parquet (hyparquet-writer), in row groups written as they fill, so that an export of
// any size holds one row group in memory. Column types follow the metadata: decimals as
// DECIMAL(38, scale) in 16 bytes, date-times as UTC timestamps in milliseconds, strings and JSON
// columns as UTF-8 strings; every column may be null.
import { ByteWriter, ParquetWriter, type SchemaElement } from "hyparquet-writer";
import type { FocusColumn, FocusRow } from "../domain/focus/columns.js";
import type { ByteSink } from "./focus-file.js";

/** Rows per row group: about 20 MB of column values for the 57 cost-and-usage columns. */
export const PARQUET_ROW_GROUP = 10_000;

function schemaElement(column: FocusColumn): SchemaElement {
  const base = { name: column.name, repetition_type: "OPTIONAL" as const };
  switch (column.dataType) {
    case "DECIMAL": {
      const precision = column.numericPrecision ?? 38;
      const scale = column.numberScale ?? 0;
      return { ...base, type: "FIXED_LEN_BYTE_ARRAY", type_length: 16, converted_type: "DECIMAL", precision, scale, logical_type: { type: "DECIMAL", precision, scale } };
    }
    case "DATETIME":
      return { ...base, type: "INT64", converted_type: "TIMESTAMP_MILLIS", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" } };
    default:
      return { ...base, type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } };
  }
}

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Exact decimal text as the unscaled integer of a DECIMAL with `scale` places (never through a float). */
export function unscaledDecimal(text: string, scale: number, precision = 38): bigint {
  const match = DECIMAL_TEXT.exec(text);
  if (!match) throw new Error(`not a decimal: ${text}`);
  const fraction = (match[3] ?? "").replace(/0+$/, "");
  // The declared scale is the most places any row carries (columns.ts): more would be a bug, not a rounding.
  if (fraction.length > scale) throw new Error(`${text} has more than ${scale} decimal places`);
  const unscaled = BigInt(match[1]! + match[2]! + fraction.padEnd(scale, "0"));
  // 16 bytes would hold more, but a reader takes the declared precision at its word.
  if ((unscaled < 0n ? -unscaled : unscaled) >= 10n ** BigInt(precision)) throw new Error(`${text} has more than ${precision} digits`);
  return unscaled;
}

type Convert = (value: string) => string | bigint;

function converter(column: FocusColumn): Convert {
  if (column.dataType === "DECIMAL") return (value) => unscaledDecimal(value, column.numberScale ?? 0, column.numericPrecision ?? 38);
  if (column.dataType === "DATETIME") {
    return (value) => {
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) throw new Error(`not a date-time: ${value}`);
      return BigInt(ms);
    };
  }
  return (value) => value;
}

/** A hyparquet writer whose buffer goes to the sink after each row group, then is used again. */
class SinkWriter extends ByteWriter {
  open = true;

  constructor(private readonly sink: ByteSink) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    // Copied: the buffer is written over by the next row group while the sink may still hold this one.
    const chunk = Buffer.from(this.getBytes());
    this.index = 0;
    return this.sink.write(chunk).then((open) => {
      this.open &&= open;
    });
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

/** Writes rows as one Parquet file into the sink, a row group at a time; `flush` and `end` are false once the sink is gone. */
export function parquetFile(columns: readonly FocusColumn[], sink: ByteSink, kvMetadata: { key: string; value: string }[]) {
  const writer = new SinkWriter(sink);
  const parquet = new ParquetWriter({
    writer,
    schema: [{ name: "root", num_children: columns.length }, ...columns.map(schemaElement)],
    kvMetadata,
    createdBy: "billing-gateway",
  });
  const convert = columns.map(converter);
  let values: (string | bigint | null)[][] = columns.map(() => []);
  let rows = 0;
  /** Row groups filled by add, waiting for flush. */
  const full: (string | bigint | null)[][][] = [];

  const writeGroup = (data: (string | bigint | null)[][]) =>
    parquet.write({ columnData: columns.map((column, i) => ({ name: column.name, data: data[i]! })), rowGroupSize: PARQUET_ROW_GROUP });
  const flush = async () => {
    for (let group = full.shift(); group; group = full.shift()) await writeGroup(group);
    return writer.open;
  };

  return {
    add(row: FocusRow): void {
      for (let i = 0; i < columns.length; i++) {
        const value = row[i] ?? null;
        values[i]!.push(value === null ? null : convert[i]!(value));
      }
      if (++rows < PARQUET_ROW_GROUP) return;
      full.push(values);
      values = columns.map(() => []);
      rows = 0;
    },
    flush,
    async end(): Promise<boolean> {
      if (rows > 0) full.push(values);
      await flush();
      await parquet.finish();
      return writer.open;
    },
  };
}
