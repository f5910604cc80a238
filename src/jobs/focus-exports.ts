// The export job runner: every gateway process with EXPORT_JOB_INTERVAL_MS > 0 runs one. A pass
// deletes files past their retention, queues the monthly deliveries that are due, then claims and
// runs queued jobs one at a time. A claim is a lease renewed with each progress report: a process
// that dies leaves a lease that lapses, and any process runs the job again from the start.
//
// Written here rather than with pg-boss or graphile-worker: both need a PostgreSQL server, and the
// embedded PGlite must run the same jobs with the same code; a table, SKIP LOCKED and a lease are
// all that this one kind of job needs.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger } from "../config/logger.js";
import type { Database } from "../db/client.js";
import type { FocusExportJob } from "../db/generated/client.js";
import { Access } from "../domain/access.js";
import { frozenClock, type Clock } from "../domain/clock.js";
import { createRequestContext, type RequestContext, type Settings } from "../domain/context.js";
import { DomainError } from "../domain/errors.js";
import { fileSets, queueDueDeliveries } from "../domain/focus/export-jobs.js";
import { focusRowBatches, settleBeforeExport, type FocusDataset } from "../domain/focus/rows.js";
import { writeFileSet } from "../exports/file-sets.js";
import type { FocusFileFormat } from "../exports/focus-file.js";
import { claimExportJob, expiredExportJobs, finishExportJob, renewExportJob, type ExportFileEntry, type ExportJobEnd } from "../store/focus-export-jobs.js";

/** A job whose process died this many times fails instead of running again. */
const MAX_ATTEMPTS = 3;
/** Progress (and the lease) is written at most this often. */
const PROGRESS_EVERY_MS = 1_000;

export interface ExportJobRunner {
  /** Starts a pass soon (a job was queued in this process). */
  kick(): void;
  /** One pass now; resolves with the jobs it ran. */
  runOnce(): Promise<number>;
  /** Stops the timer; a job under way goes back to the queue for another process. */
  stop(): Promise<void>;
}

export interface ExportJobOptions {
  db: Database;
  settings: Settings;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  leaseMs: number;
  maxFileBytes: number;
}

/** Where a job's files are: one folder per attempt, so that a lapsed run never writes into the next one's. */
export const jobFolder = (exportDir: string, job: Pick<FocusExportJob, "id" | "attempts">) => path.join(exportDir, job.id, String(job.attempts));

export function startFocusExportJobs(options: ExportJobOptions): ExportJobRunner {
  const { db, clock, logger } = options;
  const worker = `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString("hex")}`;
  let stopping = false;
  let running: Promise<number> | null = null;
  const context = (requestId: string): RequestContext =>
    createRequestContext({ db, settings: options.settings, logger, access: Access.operator(), clock: frozenClock(clock.now()), requestId });

  const runJob = async (job: FocusExportJob) => {
    const ctx = context(`focus-export:${job.id}`);
    const folder = jobFolder(options.settings.exports.dir, job);
    const end = (state: ExportJobEnd["state"], rest: Omit<ExportJobEnd, "state" | "at"> = {}) => finishExportJob(db.prisma, job.id, worker, { state, at: clock.now(), ...rest });
    if (job.attempts > MAX_ATTEMPTS) {
      await end("FAILED", { error: `Stopped after ${MAX_ATTEMPTS} attempts: the process running it ended each time` });
      return;
    }
    fs.rmSync(folder, { recursive: true, force: true });
    let lastReport = 0;
    let done = { rows: 0, bytes: 0 };
    const progress = async (rows: number, bytes: number) => {
      if (stopping) return false;
      if (performance.now() - lastReport < PROGRESS_EVERY_MS) return true;
      lastReport = performance.now();
      return renewExportJob(db.prisma, job.id, worker, { rows: done.rows + rows, bytes: done.bytes + bytes, leaseUntil: new Date(clock.now().getTime() + options.leaseMs) });
    };
    try {
      const workspace = await db.prisma.workspace.findUniqueOrThrow({ where: { id: job.workspaceId } });
      await settleBeforeExport(ctx, workspace.id);
      const files: ExportFileEntry[] = [];
      for (const set of fileSets(job)) {
        const batches = focusRowBatches(ctx, workspace, { from: set.from, to: set.to }, { dataset: job.dataset as FocusDataset });
        const written = await writeFileSet(batches, {
          root: folder, folder: set.folder, dataset: job.dataset as FocusDataset, format: job.format as FocusFileFormat, month: set.month, maxFileBytes: options.maxFileBytes, progress,
        });
        if (!written) return await stopped(job, folder, end);
        files.push(...written);
        done = { rows: done.rows + sum(written, "rows"), bytes: done.bytes + sum(written, "bytes") };
      }
      const expiresAt = new Date(clock.now().getTime() + options.settings.exports.retentionDays * 86_400_000);
      if (!(await end("SUCCEEDED", { files, rows: done.rows, bytes: done.bytes, expiresAt }))) return await stopped(job, folder, end);
      removeOtherAttempts(options.settings.exports.dir, job);
      logger.info({ jobId: job.id, rows: done.rows, bytes: done.bytes, files: files.length }, "focus export written");
    } catch (error) {
      fs.rmSync(folder, { recursive: true, force: true });
      // A domain error's message is safe to show; anything else is told in the log only.
      const reason = error instanceof DomainError ? error.message : `The export failed; quote job ${job.id} to the operator`;
      logger.error({ jobId: job.id, err: (error as Error)?.stack ?? String(error) }, "focus export failed");
      await end("FAILED", { error: reason });
    }
  };

  /** A run that stopped between batches: cancelled (files deleted), stopping (back to the queue), or no longer this process's. */
  const stopped = async (job: FocusExportJob, folder: string, end: (state: "CANCELLED" | "QUEUED") => Promise<boolean>) => {
    const now = await db.prisma.focusExportJob.findUnique({ where: { id: job.id } });
    if (now?.lockedBy !== worker) return; // another process claimed it after this one's lease lapsed
    fs.rmSync(folder, { recursive: true, force: true });
    if (now.cancelRequested) {
      await end("CANCELLED");
      logger.info({ jobId: job.id }, "focus export cancelled");
    } else {
      await end("QUEUED");
    }
  };

  const purge = async (now: Date) => {
    for (const { id } of await expiredExportJobs(db.prisma, now)) {
      fs.rmSync(path.join(options.settings.exports.dir, id), { recursive: true, force: true });
      await db.prisma.focusExportJob.update({ where: { id }, data: { purgedAt: now } });
    }
  };

  const pass = async () => {
    const now = clock.now();
    await purge(now);
    await queueDueDeliveries(context("focus-delivery"));
    let ran = 0;
    while (!stopping) {
      const at = clock.now();
      const job = await claimExportJob(db.prisma, worker, at, new Date(at.getTime() + options.leaseMs));
      if (!job) break;
      await runJob(job);
      ran++;
    }
    return ran;
  };

  const runOnce = () => {
    // Passes never overlap within a process.
    running ??= pass()
      .catch((error: Error) => {
        logger.error({ err: error.message }, "focus export pass failed; the next pass retries");
        return 0;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = options.intervalMs > 0 ? setInterval(runOnce, options.intervalMs) : null;
  timer?.unref();
  return {
    kick: () => void (timer && !stopping && setImmediate(runOnce)),
    runOnce,
    async stop() {
      stopping = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}

const sum = (entries: ExportFileEntry[], key: "rows" | "bytes") => entries.reduce((total, e) => total + e[key], 0);

function removeOtherAttempts(exportDir: string, job: FocusExportJob) {
  const dir = path.join(exportDir, job.id);
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) if (name !== String(job.attempts)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
}
