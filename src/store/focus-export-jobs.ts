// SQL of the FOCUS export jobs: the claim, the lease renewed with progress, and the ends of a run.
// A claim takes the oldest queued job, or a running one whose lease lapsed (its process died), so
// that each job runs in one process at a time, on PGlite and PostgreSQL alike.
import type { FocusExportJob, PrismaClient } from "../db/generated/client.js";

export interface ExportFileEntry {
  path: string;
  rows: number;
  bytes: number;
  sha256: string;
}

/** Claims the next job for `worker` until `leaseUntil`; null when none waits. */
export async function claimExportJob(prisma: PrismaClient, worker: string, now: Date, leaseUntil: Date): Promise<FocusExportJob | null> {
  const [claimed] = await prisma.$queryRawUnsafe<{ id: string }[]>(
    `UPDATE "FocusExportJob" SET state = 'RUNNING', "lockedBy" = $1, "lockedUntil" = $3, attempts = attempts + 1, "startedAt" = $2, rows = 0, bytes = 0
     WHERE id = (SELECT id FROM "FocusExportJob"
                 WHERE (state = 'QUEUED' OR (state = 'RUNNING' AND "lockedUntil" < $2)) AND NOT "cancelRequested"
                 ORDER BY "createdAt", id LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id::text AS id`,
    worker, now, leaseUntil,
  );
  return claimed ? prisma.focusExportJob.findUniqueOrThrow({ where: { id: claimed.id } }) : null;
}

/**
 * Records progress and renews the lease; says whether to go on: false once the job was cancelled
 * or another process holds it (this one's lease lapsed).
 */
export async function renewExportJob(prisma: PrismaClient, id: string, worker: string, progress: { rows: number; bytes: number; leaseUntil: Date }): Promise<boolean> {
  const updated = await prisma.focusExportJob.updateMany({
    where: { id, lockedBy: worker, state: "RUNNING", cancelRequested: false },
    data: { rows: progress.rows, bytes: progress.bytes, lockedUntil: progress.leaseUntil },
  });
  return updated.count === 1;
}

/** How a run ends: finished, or back in the queue (QUEUED) for another process. */
export interface ExportJobEnd {
  state: "SUCCEEDED" | "FAILED" | "CANCELLED" | "QUEUED";
  at: Date;
  rows?: number;
  bytes?: number;
  files?: ExportFileEntry[];
  error?: string | null;
  /** When its files are deleted; a job that ends without files is swept at once. */
  expiresAt?: Date;
  /** Back in the queue without counting the run as an attempt (the process is stopping). */
  giveBackAttempt?: boolean;
}

/**
 * Ends a run this worker still holds: the state the job ends in, or null when the worker no longer
 * holds it. A success stands only if the job was not cancelled meanwhile; a job sent back to the
 * queue after a cancel ends CANCELLED instead.
 */
export async function finishExportJob(prisma: PrismaClient, id: string, worker: string, end: ExportJobEnd): Promise<ExportJobEnd["state"] | null> {
  const released = { lockedBy: null, lockedUntil: null };
  if (end.state === "QUEUED") {
    const cancelled = await prisma.focusExportJob.updateMany({
      where: { id, lockedBy: worker, cancelRequested: true },
      data: { ...released, state: "CANCELLED", deliveryKey: null, finishedAt: end.at, expiresAt: end.at },
    });
    if (cancelled.count === 1) return "CANCELLED";
    const queued = await prisma.focusExportJob.updateMany({
      where: { id, lockedBy: worker },
      data: { ...released, state: "QUEUED", error: end.error ?? null, ...(end.giveBackAttempt ? { attempts: { decrement: 1 } } : {}) },
    });
    return queued.count === 1 ? "QUEUED" : null;
  }
  const updated = await prisma.focusExportJob.updateMany({
    where: { id, lockedBy: worker, ...(end.state === "SUCCEEDED" ? { cancelRequested: false } : {}) },
    data: {
      ...released,
      ...(end.state === "SUCCEEDED" ? {} : { deliveryKey: null }), // a delivery that did not succeed runs again
      state: end.state,
      ...(end.rows !== undefined ? { rows: end.rows, bytes: end.bytes ?? 0 } : {}),
      ...(end.files ? { files: end.files as unknown as object[] } : {}),
      error: end.error ?? null,
      finishedAt: end.at,
      expiresAt: end.expiresAt ?? end.at,
    },
  });
  return updated.count === 1 ? end.state : null;
}

/**
 * Cancels a job in one step where nothing runs it (queued, or its process died: the lease
 * lapsed); marks a running one, whose process stops at its next batch. Finished jobs stay as they are.
 */
export async function requestExportCancel(prisma: PrismaClient, id: string, now: Date): Promise<void> {
  await prisma.focusExportJob.updateMany({
    where: { id, OR: [{ state: "QUEUED" }, { state: "RUNNING", lockedUntil: { lt: now } }] },
    data: { state: "CANCELLED", cancelRequested: true, deliveryKey: null, lockedBy: null, lockedUntil: null, finishedAt: now, expiresAt: now },
  });
  await prisma.focusExportJob.updateMany({ where: { id, state: "RUNNING" }, data: { cancelRequested: true } });
}

/** Running jobs cancelled whose process died before it saw the cancel: cancelled now, swept with the others. */
export async function settleAbandonedCancels(prisma: PrismaClient, now: Date): Promise<void> {
  await prisma.focusExportJob.updateMany({
    where: { state: "RUNNING", cancelRequested: true, lockedUntil: { lt: now } },
    data: { state: "CANCELLED", deliveryKey: null, lockedBy: null, lockedUntil: null, finishedAt: now, expiresAt: now },
  });
}

/** Ended jobs whose files have outlived their retention (at once for a job without files), not yet swept. */
export function expiredExportJobs(prisma: PrismaClient, now: Date): Promise<{ id: string }[]> {
  return prisma.focusExportJob.findMany({ where: { expiresAt: { lte: now }, purgedAt: null }, select: { id: true }, take: 100 });
}
