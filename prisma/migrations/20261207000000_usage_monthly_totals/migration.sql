-- Monthly twins of "UsageDailyTotal" and "UsageDailyByDimension", by calendar month of the
-- workspace's own zone: a rollup by month, quarter or over a long window reads one row per month
-- and group for each whole month instead of one per day (a year by external user read 37,000
-- daily rows). Filled from the daily tables.

CREATE TABLE "UsageMonthlyTotal" (
    "workspaceId" UUID NOT NULL,
    "month" DATE NOT NULL,
    "skuId" TEXT NOT NULL,
    "model" TEXT NOT NULL DEFAULT '',
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
    CONSTRAINT "UsageMonthlyTotal_pkey" PRIMARY KEY ("workspaceId", "month", "skuId", "model", "currency", "resourceKind")
);

CREATE TABLE "UsageMonthlyByDimension" (
    "workspaceId" UUID NOT NULL,
    "dimension" "UsageDimension" NOT NULL,
    "month" DATE NOT NULL,
    "value" TEXT NOT NULL DEFAULT '',
    "currency" "UsageCurrency" NOT NULL,
    "quantity" DECIMAL(28,6) NOT NULL,
    "amount" DECIMAL(24,8) NOT NULL,
    "costUsd" DECIMAL(24,8) NOT NULL,
    "credits" DECIMAL(28,6) NOT NULL,
    "eventCount" BIGINT NOT NULL,
    "promptTokens" BIGINT NOT NULL DEFAULT 0,
    "completionTokens" BIGINT NOT NULL DEFAULT 0,
    "cacheReadTokens" BIGINT NOT NULL DEFAULT 0,
    "cacheWriteTokens" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "UsageMonthlyByDimension_pkey" PRIMARY KEY ("workspaceId", "dimension", "month", "value", "currency")
);

INSERT INTO "UsageMonthlyTotal" ("workspaceId", "month", "skuId", "model", "currency", "resourceKind", "quantity", "amount", "costUsd",
  "credits", "eventCount", "promptTokens", "completionTokens", "cacheReadTokens", "cacheWriteTokens")
SELECT "workspaceId", date_trunc('month', "day")::date, "skuId", "model", "currency", "resourceKind", SUM("quantity"), SUM("amount"), SUM("costUsd"),
  SUM("credits"), SUM("eventCount"), SUM("promptTokens"), SUM("completionTokens"), SUM("cacheReadTokens"), SUM("cacheWriteTokens")
FROM "UsageDailyTotal"
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO "UsageMonthlyByDimension" ("workspaceId", "dimension", "month", "value", "currency", "quantity", "amount", "costUsd", "credits",
  "eventCount", "promptTokens", "completionTokens", "cacheReadTokens", "cacheWriteTokens")
SELECT "workspaceId", "dimension", date_trunc('month', "day")::date, "value", "currency", SUM("quantity"), SUM("amount"), SUM("costUsd"), SUM("credits"),
  SUM("eventCount"), SUM("promptTokens"), SUM("completionTokens"), SUM("cacheReadTokens"), SUM("cacheWriteTokens")
FROM "UsageDailyByDimension"
GROUP BY 1, 2, 3, 4, 5;

-- The foreign keys once the tables are filled: adding one locks "Workspace" against the
-- balance updates of every write until the migration commits, so not for the length of the fill.
ALTER TABLE "UsageMonthlyTotal" ADD CONSTRAINT "UsageMonthlyTotal_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "UsageMonthlyByDimension" ADD CONSTRAINT "UsageMonthlyByDimension_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Statistics now, so that rollups are planned on the filled tables before autovacuum gets to them.
ANALYZE "UsageMonthlyTotal";
ANALYZE "UsageMonthlyByDimension";
