// One FOCUS file of a dataset in any of its formats, written row by row into a sink: the HTTP
// body of an export, or a file of an export job. The sink applies backpressure; a writer stops
// being worth feeding once it says the sink is gone.
import { FOCUS_SCHEMA_IDS } from "../domain/focus/metadata.js";
import { FOCUS_DATASETS, type FocusDataset, type UsageCopyTaker } from "../domain/focus/rows.js";
import type { FocusContext } from "../domain/focus/row-parts.js";
import type { Sku } from "../db/generated/client.js";
import type { FocusRow } from "../domain/focus/columns.js";
import { parquetFile } from "./parquet-format.js";
import { EncodedChunks, fileFormats } from "./text-formats.js";
import { usageCopyWriter } from "./usage-copy.js";

import type { ExportFormat } from "../domain/focus/export-jobs.js";

/** Where a file's bytes go. `write` resolves once the sink takes more; false once it has gone (a client that left). */
export interface ByteSink {
  write(chunk: Buffer, written?: () => void): Promise<boolean>;
}

export interface FocusFileWriter {
  /** Adds a row; it reaches the sink at the next flush. */
  add(row: FocusRow): void;
  /** Writes what is ready; false once the sink has gone (stop reading rows). */
  flush(): Promise<boolean>;
  /** Writes what remains (Parquet's last row group and footer); false if the sink went first. */
  end(): Promise<boolean>;
  /** CSV and JSONL: the writer of usage records from COPY text, into the same file (focusRowPages' usageCopy). */
  usageCopy?: (focus: FocusContext, skus: Sku[]) => UsageCopyTaker;
}

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: "application/jsonl; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  parquet: "application/vnd.apache.parquet",
};

const TEXT_FORMATS = Object.fromEntries(Object.entries(FOCUS_DATASETS).map(([name, d]) => [name, fileFormats(d.columns)])) as Record<FocusDataset, ReturnType<typeof fileFormats>>;

export function focusFileWriter(dataset: FocusDataset, format: ExportFormat, sink: ByteSink): FocusFileWriter {
  if (format === "parquet") {
    return parquetFile(FOCUS_DATASETS[dataset].columns, sink, [{ key: "FocusSchemaId", value: FOCUS_SCHEMA_IDS[dataset] }, { key: "FocusVersion", value: "1.3" }]);
  }
  const text = TEXT_FORMATS[dataset][format];
  const toLine = text.lines();
  const out = new EncodedChunks();
  out.add(text.header);
  /** Writes the chunks in order, each given back to `out` once written. */
  const send = async () => {
    for (const chunk of out.take()) if (!(await sink.write(chunk, () => out.release(chunk)))) return false;
    return true;
  };
  return { add: (row) => out.add(toLine(row)), flush: send, end: send, usageCopy: (focus, skus) => usageCopyWriter(text, focus, skus, out) };
}
