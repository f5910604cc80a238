-- Hourly twins of "UsageDailyTotal" and "UsageDailyByDimension", by UTC hour: the parts of days
-- that a rollup cannot take from the daily tables (a day that another zone's bucket boundary cuts,
-- the partial days at a window's edges) read their whole hours here and only the rest of an hour
-- from the usage records, so that their cost stops growing with the number of records. An hour of
-- UTC is an hour of every zone whose offset is whole hours. Filled from the usage records.

CREATE TABLE "UsageHourlyTotal" (
    "workspaceId" UUID NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
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
    CONSTRAINT "UsageHourlyTotal_pkey" PRIMARY KEY ("workspaceId", "hour", "skuId", "model", "currency", "resourceKind")
);

CREATE TABLE "UsageHourlyByDimension" (
    "workspaceId" UUID NOT NULL,
    "dimension" "UsageDimension" NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
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
    CONSTRAINT "UsageHourlyByDimension_pkey" PRIMARY KEY ("workspaceId", "dimension", "hour", "value", "currency")
);

INSERT INTO "UsageHourlyTotal" ("workspaceId", "hour", "skuId", "model", "currency", "resourceKind", "quantity", "amount", "costUsd",
  "credits", "eventCount", "promptTokens", "completionTokens", "cacheReadTokens", "cacheWriteTokens")
SELECT "workspaceId", date_trunc('hour', "occurredAt", 'UTC'), "skuId", COALESCE("model", ''), "currency", "resourceKind", SUM("units"), SUM("amount"),
  SUM("costUsd"), SUM("credits"), COUNT(*), COALESCE(SUM("promptTokens"), 0), COALESCE(SUM("completionTokens"), 0),
  COALESCE(SUM("cacheReadTokens"), 0), COALESCE(SUM("cacheWriteTokens"), 0)
FROM "UsageRecord"
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO "UsageHourlyByDimension" ("workspaceId", "dimension", "hour", "value", "currency", "quantity", "amount", "costUsd", "credits",
  "eventCount", "promptTokens", "completionTokens", "cacheReadTokens", "cacheWriteTokens")
SELECT u."workspaceId", d."dimension", date_trunc('hour', u."occurredAt", 'UTC'), COALESCE(d."value", ''), u."currency", SUM(u."units"), SUM(u."amount"),
  SUM(u."costUsd"), SUM(u."credits"), COUNT(*), COALESCE(SUM(u."promptTokens"), 0), COALESCE(SUM(u."completionTokens"), 0),
  COALESCE(SUM(u."cacheReadTokens"), 0), COALESCE(SUM(u."cacheWriteTokens"), 0)
FROM "UsageRecord" u
CROSS JOIN LATERAL (VALUES ('API_KEY'::"UsageDimension", u."apiKeyId"::text), ('EXTERNAL_USER', u."externalUserId"),
  ('EXTERNAL_PROJECT', u."externalProjectId")) d ("dimension", "value")
GROUP BY 1, 2, 3, 4, 5;

-- The foreign keys once the tables are filled: adding one locks "Workspace" against the
-- balance updates of every write until the migration commits, so not for the length of the fill.
ALTER TABLE "UsageHourlyTotal" ADD CONSTRAINT "UsageHourlyTotal_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "UsageHourlyByDimension" ADD CONSTRAINT "UsageHourlyByDimension_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Statistics now, so that rollups are planned on the filled tables before autovacuum gets to them.
ANALYZE "UsageHourlyTotal";
ANALYZE "UsageHourlyByDimension";
