// FOCUS rows as lines of the export files. JSONL: one object per line with every column, decimals
// as JSON numbers written from their exact text, JSON columns as serialized strings (the spec's
// literal reading), nulls as null. CSV: a header, then RFC 4180 records where null is an empty,
// unquoted field and an empty string would be a quoted one.
//
// Speed matters here (a million rows should take seconds): most values repeat from row to row
// (accounts, providers, the columns of a SKU), so each column remembers how it rendered its recent
// values, until it proves to have too many (ids, costs); and a line is joined once rather than
// concatenated piece by piece.
import type { FocusColumn, FocusRow } from "../domain/focus/columns.js";

type Render = (value: string | null, column: number) => string;

const CACHED_VALUES_PER_COLUMN = 1_024;

function lineWriter(columns: number, render: Render, separator: string, end: string): (row: FocusRow) => string {
  const last = columns - 1;
  const renderAt = (value: string | null, i: number) => (i === last ? render(value, i) + end : render(value, i));
  // null once a column has shown more distinct values than are worth remembering.
  const caches: (Map<string | null, string> | null)[] = Array.from({ length: columns }, () => new Map());
  const values: (string | null | undefined)[] = Array.from({ length: columns }, () => undefined);
  const pieces: string[] = Array.from({ length: columns }, () => "");
  return (row) => {
    for (let i = 0; i <= last; i++) {
      const value = row[i] ?? null;
      if (value === values[i]) continue; // the same as the row before: pieces[i] is still right
      values[i] = value;
      const cache = caches[i]!;
      if (cache === null) {
        pieces[i] = renderAt(value, i);
        continue;
      }
      let piece = cache.get(value);
      if (piece === undefined) {
        piece = renderAt(value, i);
        if (cache.size < CACHED_VALUES_PER_COLUMN) cache.set(value, piece);
        else caches[i] = null;
      }
      pieces[i] = piece;
    }
    return pieces.join(separator);
  };
}

const NEEDS_QUOTES = /[",\r\n]/;

// Written here rather than with csv-stringify: that library took most of the export's time per
// row, and quoting a field is this one rule.
function csvField(value: string | null, neverQuoted = false): string {
  if (value === null) return "";
  if (neverQuoted) return value;
  return value === "" || NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export interface TextFormat {
  header: string;
  /** A line writer; one per export, as it remembers the previous row. */
  lines(): (row: FocusRow) => string;
  /** A string value of a JSON or STRING column as it replaces a marker that the line writer wrote in its place. */
  valueAtMarker(value: string): string;
}

/** The JSONL and CSV formats of one dataset's columns. */
export function fileFormats(columns: readonly FocusColumn[]): { jsonl: TextFormat; csv: TextFormat } {
  const keys = columns.map((column, i) => `${i === 0 ? "{" : ","}${JSON.stringify(column.name)}:`);
  const decimal = columns.map((column) => column.dataType === "DECIMAL");
  // Decimals and date-times never hold a quote, comma or line break.
  const neverQuoted = columns.map((column) => column.dataType === "DECIMAL" || column.dataType === "DATETIME");
  const jsonlValue: Render = (value, i) => keys[i]! + (value === null ? "null" : decimal[i] ? value : JSON.stringify(value));
  const csvValue: Render = (value, i) => csvField(value, neverQuoted[i]);
  return {
    // A marker needs no escaping: JSONL wrote it within quotes, CSV as it is.
    jsonl: { header: "", lines: () => lineWriter(columns.length, jsonlValue, "", "}\n"), valueAtMarker: (value) => JSON.stringify(value).slice(1, -1) },
    csv: {
      header: columns.map((column) => csvField(column.name)).join(",") + "\r\n",
      lines: () => lineWriter(columns.length, csvValue, ",", "\r\n"),
      valueAtMarker: (value) => csvField(value),
    },
  };
}

const CHUNK_BYTES = 256 * 1024;
const SPARE_CHUNKS = 16;

/**
 * Encodes lines into 256 KB buffers as they come: one copy per line, no long string to flatten.
 * Buffers come back through release() once written and are used again: a million rows would
 * otherwise allocate gigabytes of buffers, which the allocator is slow to give back.
 */
export class EncodedChunks {
  private chunks: Buffer[] = [];
  private spare: Buffer[] = [];
  private current: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;

  add(line: string): void {
    if (this.used + line.length * 3 > this.current.length) {
      this.cut();
      if (line.length * 3 > this.current.length) return void this.chunks.push(Buffer.from(line));
    }
    this.used += this.current.write(line, this.used);
  }

  /**
   * The chunk to write `bytes` more into from `at` (a new one when the current lacks the room);
   * null when they would not fit in any. `advance` then says how many were written.
   */
  room(bytes: number): Buffer | null {
    if (this.used + bytes <= this.current.length) return this.current;
    if (bytes > CHUNK_BYTES) return null;
    this.cut();
    return this.current;
  }

  get at(): number {
    return this.used;
  }

  advance(bytes: number): void {
    this.used += bytes;
  }

  /** The encoded bytes so far, in order. */
  take(): Buffer[] {
    this.cut();
    return this.chunks.splice(0);
  }

  /** Gives back a chunk from take() once it has been written out. */
  release(chunk: Buffer): void {
    const whole = chunk.byteOffset === 0 && chunk.buffer.byteLength === CHUNK_BYTES;
    if (whole && this.spare.length < SPARE_CHUNKS) this.spare.push(Buffer.from(chunk.buffer, 0, CHUNK_BYTES));
  }

  private cut(): void {
    if (this.used === 0) return;
    this.chunks.push(this.current.subarray(0, this.used));
    this.current = this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
  }
}
