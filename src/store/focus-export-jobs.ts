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
  expiresAt?: Date | null;
}

/** Ends a run this worker still holds (a success only if not cancelled meanwhile); false when it does not. */
export async function finishExportJob(prisma: PrismaClient, id: string, worker: string, end: ExportJobEnd): Promise<boolean> {
  const finished = end.state !== "QUEUED";
  const updated = await prisma.focusExportJob.updateMany({
    where: { id, lockedBy: worker, ...(end.state === "SUCCEEDED" ? { cancelRequested: false } : {}) },
    data: {
      state: end.state,
      lockedBy: null,
      lockedUntil: null,
      ...(end.rows !== undefined ? { rows: end.rows, bytes: end.bytes ?? 0 } : {}),
      ...(end.files ? { files: end.files as unknown as object[] } : {}),
      error: end.error ?? null,
      finishedAt: finished ? end.at : null,
      expiresAt: end.expiresAt ?? null,
    },
  });
  return updated.count === 1;
}

/** Jobs whose files have outlived their retention and are still on disk. */
export function expiredExportJobs(prisma: PrismaClient, now: Date): Promise<{ id: string }[]> {
  return prisma.focusExportJob.findMany({ where: { expiresAt: { lt: now }, purgedAt: null }, select: { id: true }, take: 100 });
}
