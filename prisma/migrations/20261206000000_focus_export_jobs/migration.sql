-- Asynchronous FOCUS exports and the standing monthly delivery. A job is claimed by one gateway
-- process at a time (FOR UPDATE SKIP LOCKED) under a lease it renews while writing; a job whose
-- lease lapsed (its process died) is claimed again and written from the start.
CREATE TYPE "FocusExportState" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

CREATE TABLE "FocusExportJob" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "dataset" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "layout" TEXT NOT NULL,
    "rangeFrom" TIMESTAMPTZ(3) NOT NULL,
    "rangeTo" TIMESTAMPTZ(3) NOT NULL,
    "deliveryMonth" TEXT,
    "deliveryKey" TEXT,
    "state" "FocusExportState" NOT NULL DEFAULT 'QUEUED',
    "rows" BIGINT NOT NULL DEFAULT 0,
    "bytes" BIGINT NOT NULL DEFAULT 0,
    "files" JSONB NOT NULL DEFAULT '[]',
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "lockedBy" TEXT,
    "lockedUntil" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "expiresAt" TIMESTAMPTZ(3),
    "purgedAt" TIMESTAMPTZ(3),
    CONSTRAINT "FocusExportJob_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "FocusExportJob_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE UNIQUE INDEX "FocusExportJob_deliveryKey_key" ON "FocusExportJob"("deliveryKey");
CREATE INDEX "FocusExportJob_workspaceId_createdAt_idx" ON "FocusExportJob"("workspaceId", "createdAt");
CREATE INDEX "FocusExportJob_state_createdAt_idx" ON "FocusExportJob"("state", "createdAt");

CREATE TABLE "FocusDelivery" (
    "workspaceId" UUID NOT NULL,
    "dataset" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "layout" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "FocusDelivery_pkey" PRIMARY KEY ("workspaceId"),
    CONSTRAINT "FocusDelivery_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
