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
import { asUnavailable } from "../db/faults.js";
import { DomainError } from "../domain/errors.js";
import { fileSets, queueDueDeliveries, type ExportFormat } from "../domain/focus/export-jobs.js";
import { focusRowBatches, settleBeforeExport, type FocusDataset } from "../domain/focus/rows.js";
import { jobFolder, writeFileSet } from "../exports/file-sets.js";
import { periodicJob, type PeriodicJob } from "./periodic.js";
import { claimExportJob, expiredExportJobs, finishExportJob, renewExportJob, settleAbandonedCancels, type ExportFileEntry, type ExportJobEnd } from "../store/focus-export-jobs.js";

/** A job whose process died this many times fails instead of running again. */
const MAX_ATTEMPTS = 3;
/** Progress (and the lease) is written at most this often. */
const PROGRESS_EVERY_MS = 1_000;

/**
 * kick() starts a pass soon (a job was queued in this process); runOnce() resolves with the jobs it
 * ran; on stop() a job under way goes back to the queue for another process.
 */
export type ExportJobRunner = PeriodicJob;

export interface ExportJobOptions {
  db: Database;
  settings: Settings;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  leaseMs: number;
  maxFileBytes: number;
}

export function startFocusExportJobs(options: ExportJobOptions): ExportJobRunner {
  const { db, clock, logger } = options;
  const worker = `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString("hex")}`;
  const context = (requestId: string): RequestContext =>
    createRequestContext({ db, settings: options.settings, logger, access: Access.operator(), clock: frozenClock(clock.now()), requestId });

  const runJob = async (job: FocusExportJob) => {
    const ctx = context(`focus-export:${job.id}`);
    const folder = jobFolder(options.settings.exports.dir, job);
    const end = (state: ExportJobEnd["state"], rest: Omit<ExportJobEnd, "state" | "at"> = {}) => finishExportJob(db.prisma, job.id, worker, { state, at: clock.now(), ...rest });
    if (job.attempts > MAX_ATTEMPTS) {
      await end("FAILED", { error: `Stopped after ${MAX_ATTEMPTS} attempts: each run ended before it finished` });
      return;
    }
    let lastReport = 0;
    let done = { rows: 0, bytes: 0 };
    const progress = async (rows: number, bytes: number) => {
      if (runner.stopping) return false;
      if (performance.now() - lastReport < PROGRESS_EVERY_MS) return true;
      lastReport = performance.now();
      return renewExportJob(db.prisma, job.id, worker, { rows: done.rows + rows, bytes: done.bytes + bytes, leaseUntil: new Date(clock.now().getTime() + options.leaseMs) });
    };
    let files: ExportFileEntry[] | null = [];
    try {
      const workspace = await db.prisma.workspace.findUniqueOrThrow({ where: { id: job.workspaceId } });
      await settleBeforeExport(ctx, workspace.id);
      for (const set of fileSets(job)) {
        const batches = focusRowBatches(ctx, workspace, { from: set.from, to: set.to }, { dataset: job.dataset as FocusDataset });
        const written = await writeFileSet(batches, {
          root: folder, folder: set.folder, dataset: job.dataset as FocusDataset, format: job.format as ExportFormat, month: set.month, maxFileBytes: options.maxFileBytes, progress,
        });
        if (!written) {
          files = null;
          break;
        }
        files.push(...written);
        done = { rows: done.rows + sum(written, "rows"), bytes: done.bytes + sum(written, "bytes") };
      }
    } catch (error) {
      removeQuietly(folder);
      logger.error({ jobId: job.id, err: (error as Error)?.stack ?? String(error) }, "focus export failed");
      // The database briefly away: back to the queue (an attempt spent); a domain error's message is
      // safe to show; anything else is told in the log only.
      if (asUnavailable(error)) return void (await end("QUEUED", { error: "The database was unavailable; the job will run again" }));
      await end("FAILED", { error: error instanceof DomainError ? error.message : `The export failed; quote job ${job.id} to the operator` });
      return;
    }
    const expiresAt = new Date(clock.now().getTime() + options.settings.exports.retentionDays * 86_400_000);
    if (!files || !(await end("SUCCEEDED", { files, rows: done.rows, bytes: done.bytes, expiresAt }))) return stopped(job, folder);
    logger.info({ jobId: job.id, rows: done.rows, bytes: done.bytes, files: files.length }, "focus export written");
    removeOtherAttempts(options.settings.exports.dir, job);
  };

  /**
   * A run that stopped before its end: cancelled, the process stopping (back to the queue, the
   * attempt given back), or no longer this process's (its lease lapsed). Its files go in every case.
   */
  const stopped = async (job: FocusExportJob, folder: string) => {
    removeQuietly(folder);
    const ended = await finishExportJob(db.prisma, job.id, worker, { state: "QUEUED", at: clock.now(), giveBackAttempt: runner.stopping });
    if (ended === "CANCELLED") logger.info({ jobId: job.id }, "focus export cancelled");
  };

  const purge = async (now: Date) => {
    await settleAbandonedCancels(db.prisma, now);
    for (const { id } of await expiredExportJobs(db.prisma, now)) {
      removeQuietly(path.join(options.settings.exports.dir, id));
      await db.prisma.focusExportJob.update({ where: { id }, data: { purgedAt: now } });
    }
  };

  const pass = async () => {
    const now = clock.now();
    await purge(now);
    await queueDueDeliveries(context("focus-delivery"));
    let ran = 0;
    while (!runner.stopping) {
      const at = clock.now();
      const job = await claimExportJob(db.prisma, worker, at, new Date(at.getTime() + options.leaseMs));
      if (!job) break;
      await runJob(job);
      ran++;
    }
    return ran;
  };

  const runner = periodicJob({ intervalMs: options.intervalMs, logger, name: "focus export" }, pass);
  return runner;
}

const sum = (entries: ExportFileEntry[], key: "rows" | "bytes") => entries.reduce((total, e) => total + e[key], 0);

/** Deletes a folder; one that cannot be deleted stays (the sweep at the end of the job's retention tries again). */
function removeQuietly(folder: string) {
  try {
    fs.rmSync(folder, { recursive: true, force: true });
  } catch {
    // not the job's outcome: its state is already decided
  }
}

/** Deletes the folders of earlier runs of a job now written. */
function removeOtherAttempts(exportDir: string, job: FocusExportJob) {
  const dir = path.join(exportDir, job.id);
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (name !== String(job.attempts)) removeQuietly(path.join(dir, name));
}
