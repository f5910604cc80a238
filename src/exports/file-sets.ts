// An export job's files on disk: each file set (the whole range, or one UTC month for FinOps hubs)
// as part files cut once they pass the size limit, each hashed as it is written into a .partial
// file and renamed into place once whole; a finops-hub month also gets its manifest.json. A job
// lists its files only once all are written, so a half-written file is never listed.
import crypto from "node:crypto";
import { once } from "node:events";
import fs from "node:fs";
import path from "node:path";
import type { FocusExportJob } from "../db/generated/client.js";
import type { FocusRow } from "../domain/focus/columns.js";
import type { FocusDataset } from "../domain/focus/rows.js";
import type { ExportFileEntry } from "../store/focus-export-jobs.js";
import type { ExportFormat } from "../domain/focus/export-jobs.js";
import { focusFileWriter, type ByteSink } from "./focus-file.js";

/** A file is cut at the first 100 rows that take it past the size limit (Parquet: at its first row group past it). */
const CUT_EVERY_ROWS = 100;

/** Where a job's files are: one folder per attempt, so that a lapsed run never writes into the next one's. */
export const jobFolder = (exportDir: string, job: Pick<FocusExportJob, "id" | "attempts">) => path.join(exportDir, job.id, String(job.attempts));

/** A file being written: bytes counted and hashed on their way to disk; a disk error fails the job, not the process. */
class HashedFile implements ByteSink {
  bytes = 0;
  private readonly hash = crypto.createHash("sha256");
  private readonly out: fs.WriteStream;
  private failure: Error | null = null;

  constructor(readonly target: string) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    this.out = fs.createWriteStream(`${target}.partial`);
    this.out.on("error", (error) => void (this.failure ??= error));
  }

  async write(chunk: Buffer, written?: () => void): Promise<boolean> {
    if (this.failure) throw this.failure;
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.out.write(chunk, (error) => !error && written?.())) await once(this.out, "drain"); // rejects on an error
    return true;
  }

  /** Closes the file and moves it into place; its sha256 in hex. */
  async close(): Promise<string> {
    await new Promise<void>((resolve, reject) => this.out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    if (this.failure) throw this.failure;
    fs.renameSync(`${this.target}.partial`, this.target);
    return this.hash.digest("hex");
  }

  /** Gives up the file (a stopped or failed run). */
  discard(): void {
    this.out.destroy();
  }
}

export interface FileSetWrite {
  /** The job's folder; paths in the entries are relative to it, with "/". */
  root: string;
  folder: string;
  dataset: FocusDataset;
  format: ExportFormat;
  /** finops-hub: the month the manifest names; null for no manifest. */
  month: string | null;
  maxFileBytes: number;
  /** Told after each batch; false stops the writing (cancelled, or the job is no longer this process's). */
  progress(rows: number, bytes: number): Promise<boolean>;
}

/** Writes a file set from row batches; its entries (manifest last), or null when stopped. */
export async function writeFileSet(batches: AsyncIterable<{ rows: FocusRow[] }>, set: FileSetWrite): Promise<ExportFileEntry[] | null> {
  const entries: ExportFileEntry[] = [];
  const relative = (name: string) => (set.folder ? `${set.folder}/${name}` : name);
  let file: { out: HashedFile; writer: ReturnType<typeof focusFileWriter>; path: string; rows: number } | null = null;
  const open = () => {
    const name = relative(`part-${String(entries.length).padStart(5, "0")}.${set.format}`);
    const out = new HashedFile(path.join(set.root, name));
    return { out, writer: focusFileWriter(set.dataset, set.format, out), path: name, rows: 0 };
  };
  const close = async () => {
    if (!file) return;
    await file.writer.end();
    entries.push({ path: file.path, rows: file.rows, bytes: file.out.bytes, sha256: await file.out.close() });
    file = null;
  };
  let rows = 0;
  const bytes = () => entries.reduce((sum, e) => sum + e.bytes, 0) + (file?.out.bytes ?? 0);
  try {
    for await (const batch of batches) {
      for (let i = 0; i < batch.rows.length; i += CUT_EVERY_ROWS) {
        const end = Math.min(i + CUT_EVERY_ROWS, batch.rows.length);
        file ??= open();
        for (let j = i; j < end; j++) file.writer.add(batch.rows[j]!);
        await file.writer.flush();
        file.rows += end - i;
        rows += end - i;
        if (file.out.bytes >= set.maxFileBytes) await close(); // the next rows open the next part
      }
      if (!(await set.progress(rows, bytes()))) return null;
    }
    if (!file && entries.length === 0) file = open(); // an empty range still gets its (empty) file
    await close();
  } finally {
    (file as { out: HashedFile } | null)?.out.discard(); // only when the set stopped or failed before its last close
  }
  if (set.month) entries.push(writeManifest(set, entries));
  return entries;
}

/** manifest.json of a FinOps-hub month: what FinOps hubs read to ingest the month's files. */
function writeManifest(set: FileSetWrite, files: ExportFileEntry[]): ExportFileEntry {
  const name = `${set.folder}/manifest.json`;
  const body = Buffer.from(JSON.stringify({ focusVersion: "1.3", dataset: set.dataset, month: set.month, files }, null, 2) + "\n");
  fs.writeFileSync(path.join(set.root, name), body);
  return { path: name, rows: 0, bytes: body.length, sha256: crypto.createHash("sha256").update(body).digest("hex") };
}
