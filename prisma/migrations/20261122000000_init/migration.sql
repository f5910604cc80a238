-- The billing store: tenants, access, price list, credit ledger, usage, executions, activity, rollups.

CREATE TYPE "MemberRole" AS ENUM ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER');
CREATE TYPE "CreditTransactionType" AS ENUM ('GRANT', 'PURCHASE', 'USAGE', 'REFUND', 'ADJUSTMENT', 'EXPIRATION');
CREATE TYPE "UsageCurrency" AS ENUM ('USD', 'VCU', 'DIEM', 'BUNDLED_CREDITS', 'CREDITS');
CREATE TYPE "ResourceKind" AS ENUM ('SANDBOX', 'COMPUTER', 'STORAGE', 'INFERENCE');

CREATE TABLE "Organization" (
    "id" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Organization_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Organization_slug_key" ON "Organization"("slug");

CREATE TABLE "Workspace" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "monthlyLimitUsd" DECIMAL(20,8) NOT NULL DEFAULT 0,
    "creditPriceUsd" DECIMAL(20,10) NOT NULL DEFAULT 0.01,
    "creditBalance" DECIMAL(24,6) NOT NULL DEFAULT 0,
    "allowOverdraft" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Workspace_pkey" PRIMARY KEY ("id"),
    -- The ledger's last line of defence: no path may leave a balance negative without overdraft.
    CONSTRAINT "Workspace_creditBalance_check" CHECK ("allowOverdraft" OR "creditBalance" >= 0)
);
CREATE UNIQUE INDEX "Workspace_slug_key" ON "Workspace"("slug");
CREATE INDEX "Workspace_organizationId_idx" ON "Workspace"("organizationId");

CREATE TABLE "User" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

CREATE TABLE "Membership" (
    "userId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "role" "MemberRole" NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Membership_pkey" PRIMARY KEY ("userId", "workspaceId")
);
CREATE INDEX "Membership_workspaceId_idx" ON "Membership"("workspaceId");

CREATE TABLE "ApiKey" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "hint" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "scopes" TEXT[],
    "workspaceId" UUID,
    "organizationId" UUID,
    "expiresAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),
    "lastUsedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ApiKey_owner_check" CHECK ("workspaceId" IS NOT NULL OR "organizationId" IS NOT NULL)
);
CREATE UNIQUE INDEX "ApiKey_secretHash_key" ON "ApiKey"("secretHash");
CREATE INDEX "ApiKey_workspaceId_idx" ON "ApiKey"("workspaceId");
CREATE INDEX "ApiKey_organizationId_idx" ON "ApiKey"("organizationId");

CREATE TABLE "CreditTransaction" (
    "id" BIGSERIAL NOT NULL,
    "workspaceId" UUID NOT NULL,
    "type" "CreditTransactionType" NOT NULL,
    "amount" DECIMAL(24,6) NOT NULL,
    "balanceAfter" DECIMAL(24,6) NOT NULL,
    "moneyAmount" DECIMAL(20,8),
    "moneyCurrency" TEXT,
    "description" TEXT NOT NULL,
    "usageRecordId" BIGINT,
    "executionId" BIGINT,
    "idempotencyKey" TEXT,
    "expiresAt" TIMESTAMPTZ(3),
    "occurredAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "CreditTransaction_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "CreditTransaction_workspaceId_idempotencyKey_key" ON "CreditTransaction"("workspaceId", "idempotencyKey");
CREATE INDEX "CreditTransaction_workspaceId_id_idx" ON "CreditTransaction"("workspaceId", "id");
CREATE INDEX "CreditTransaction_workspaceId_occurredAt_idx" ON "CreditTransaction"("workspaceId", "occurredAt");
CREATE INDEX "CreditTransaction_usageRecordId_idx" ON "CreditTransaction"("usageRecordId");
CREATE INDEX "CreditTransaction_executionId_idx" ON "CreditTransaction"("executionId");

CREATE TABLE "Sku" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "meter" TEXT NOT NULL,
    "unit" TEXT NOT NULL,
    "listPriceUsd" DECIMAL(20,10) NOT NULL,
    "creditsPerUnit" DECIMAL(20,10) NOT NULL,
    "resourceKind" "ResourceKind" NOT NULL,
    "model" TEXT,
    "serviceName" TEXT NOT NULL,
    "serviceCategory" TEXT NOT NULL,
    "serviceSubcategory" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Sku_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "UsageRecord" (
    "id" BIGSERIAL NOT NULL,
    "workspaceId" UUID NOT NULL,
    "occurredAt" TIMESTAMPTZ(3) NOT NULL,
    "skuId" TEXT NOT NULL,
    "units" DECIMAL(24,6) NOT NULL,
    "pricePerUnitUsd" DECIMAL(20,10) NOT NULL,
    "amount" DECIMAL(20,8) NOT NULL,
    "currency" "UsageCurrency" NOT NULL,
    "costUsd" DECIMAL(20,8) NOT NULL,
    "credits" DECIMAL(24,6) NOT NULL,
    "notes" TEXT,
    "requestId" TEXT,
    "inferenceExecutionTimeMs" INTEGER,
    "promptTokens" INTEGER,
    "completionTokens" INTEGER,
    "cacheReadTokens" INTEGER,
    "cacheWriteTokens" INTEGER,
    "model" TEXT,
    "apiKeyId" UUID,
    "externalUserId" TEXT,
    "externalProjectId" TEXT,
    "resourceKind" "ResourceKind" NOT NULL,
    "resourceId" TEXT,
    "idempotencyKey" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "UsageRecord_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "UsageRecord_workspaceId_idempotencyKey_key" ON "UsageRecord"("workspaceId", "idempotencyKey");
CREATE UNIQUE INDEX "UsageRecord_workspaceId_occurredAt_id_key" ON "UsageRecord"("workspaceId", "occurredAt", "id");
CREATE INDEX "UsageRecord_workspaceId_id_idx" ON "UsageRecord"("workspaceId", "id");
CREATE INDEX "UsageRecord_skuId_idx" ON "UsageRecord"("skuId");
CREATE INDEX "UsageRecord_apiKeyId_idx" ON "UsageRecord"("apiKeyId");

CREATE TABLE "Workflow" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Workflow_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Workflow_workspaceId_name_key" ON "Workflow"("workspaceId", "name");

CREATE TABLE "Execution" (
    "id" BIGSERIAL NOT NULL,
    "workspaceId" UUID NOT NULL,
    "workflowId" UUID NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "trigger" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "inputTokens" INTEGER NOT NULL DEFAULT 0,
    "outputTokens" INTEGER NOT NULL DEFAULT 0,
    "costUsd" DECIMAL(20,8) NOT NULL,
    "costBreakdown" JSONB NOT NULL DEFAULT '[]',
    "idempotencyKey" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Execution_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Execution_workspaceId_idempotencyKey_key" ON "Execution"("workspaceId", "idempotencyKey");
CREATE UNIQUE INDEX "Execution_workspaceId_startedAt_id_key" ON "Execution"("workspaceId", "startedAt", "id");
CREATE INDEX "Execution_workflowId_idx" ON "Execution"("workflowId");

CREATE TABLE "ActivityEvent" (
    "id" BIGSERIAL NOT NULL,
    "workspaceId" UUID NOT NULL,
    "userKey" TEXT NOT NULL,
    "occurredAt" TIMESTAMPTZ(3) NOT NULL,
    "linesAdded" INTEGER NOT NULL DEFAULT 0,
    "linesRemoved" INTEGER NOT NULL DEFAULT 0,
    "linesAccepted" INTEGER NOT NULL DEFAULT 0,
    "totalLines" INTEGER NOT NULL DEFAULT 0,
    "userPrompts" INTEGER NOT NULL DEFAULT 0,
    "inputTokens" BIGINT NOT NULL DEFAULT 0,
    "outputTokens" BIGINT NOT NULL DEFAULT 0,
    "cacheWriteTokens" BIGINT NOT NULL DEFAULT 0,
    "cacheInputTokens" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "ActivityEvent_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "ActivityEvent_workspaceId_occurredAt_idx" ON "ActivityEvent"("workspaceId", "occurredAt");

CREATE TABLE "UsageDailyRollup" (
    "workspaceId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "skuId" TEXT NOT NULL,
    "model" TEXT NOT NULL DEFAULT '',
    "apiKeyId" TEXT NOT NULL DEFAULT '',
    "externalUserId" TEXT NOT NULL DEFAULT '',
    "externalProjectId" TEXT NOT NULL DEFAULT '',
    "currency" "UsageCurrency" NOT NULL,
    "resourceKind" "ResourceKind" NOT NULL,
    "quantity" DECIMAL(28,6) NOT NULL,
    "amount" DECIMAL(24,8) NOT NULL,
    "costUsd" DECIMAL(24,8) NOT NULL,
    "credits" DECIMAL(28,6) NOT NULL,
    "eventCount" BIGINT NOT NULL,
    "promptTokens" BIGINT NOT NULL DEFAULT 0,
    "completionTokens" BIGINT NOT NULL DEFAULT 0,
    "cacheReadTokens" BIGINT NOT NULL DEFAULT 0,
    "cacheWriteTokens" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "UsageDailyRollup_pkey" PRIMARY KEY ("workspaceId", "day", "skuId", "model", "apiKeyId", "externalUserId", "externalProjectId", "currency", "resourceKind")
);

CREATE TABLE "ExecutionDailyRollup" (
    "workspaceId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "workflowId" UUID NOT NULL,
    "model" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "executionCount" BIGINT NOT NULL,
    "inputTokens" BIGINT NOT NULL,
    "outputTokens" BIGINT NOT NULL,
    "costUsd" DECIMAL(24,8) NOT NULL,
    CONSTRAINT "ExecutionDailyRollup_pkey" PRIMARY KEY ("workspaceId", "day", "workflowId", "model", "trigger")
);

ALTER TABLE "Workspace" ADD CONSTRAINT "Workspace_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "CreditTransaction" ADD CONSTRAINT "CreditTransaction_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "CreditTransaction" ADD CONSTRAINT "CreditTransaction_usageRecordId_fkey" FOREIGN KEY ("usageRecordId") REFERENCES "UsageRecord"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "CreditTransaction" ADD CONSTRAINT "CreditTransaction_executionId_fkey" FOREIGN KEY ("executionId") REFERENCES "Execution"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "UsageRecord" ADD CONSTRAINT "UsageRecord_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "UsageRecord" ADD CONSTRAINT "UsageRecord_skuId_fkey" FOREIGN KEY ("skuId") REFERENCES "Sku"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "UsageRecord" ADD CONSTRAINT "UsageRecord_apiKeyId_fkey" FOREIGN KEY ("apiKeyId") REFERENCES "ApiKey"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Workflow" ADD CONSTRAINT "Workflow_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Execution" ADD CONSTRAINT "Execution_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Execution" ADD CONSTRAINT "Execution_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "ActivityEvent" ADD CONSTRAINT "ActivityEvent_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "UsageDailyRollup" ADD CONSTRAINT "UsageDailyRollup_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ExecutionDailyRollup" ADD CONSTRAINT "ExecutionDailyRollup_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
