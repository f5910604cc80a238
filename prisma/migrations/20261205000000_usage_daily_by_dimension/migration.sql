-- Daily usage for each high-cardinality dimension on its own (API key, external user, external
-- project), by currency: rollups grouped by one of them read tens of rows per day instead of the
-- thousands of "UsageDailyRollup". Filled from the existing daily rollups.

CREATE TYPE "UsageDimension" AS ENUM ('API_KEY', 'EXTERNAL_USER', 'EXTERNAL_PROJECT');

CREATE TABLE "UsageDailyByDimension" (
    "workspaceId" UUID NOT NULL,
    "dimension" "UsageDimension" NOT NULL,
    "day" DATE NOT NULL,
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
    CONSTRAINT "UsageDailyByDimension_pkey" PRIMARY KEY ("workspaceId", "dimension", "day", "value", "currency")
);

ALTER TABLE "UsageDailyByDimension" ADD CONSTRAINT "UsageDailyByDimension_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

INSERT INTO "UsageDailyByDimension" ("workspaceId", "dimension", "day", "value", "currency", "quantity", "amount", "costUsd", "credits",
  "eventCount", "promptTokens", "completionTokens", "cacheReadTokens", "cacheWriteTokens")
SELECT r."workspaceId", d."dimension", r."day", d."value", r."currency", SUM(r."quantity"), SUM(r."amount"), SUM(r."costUsd"), SUM(r."credits"),
  SUM(r."eventCount"), SUM(r."promptTokens"), SUM(r."completionTokens"), SUM(r."cacheReadTokens"), SUM(r."cacheWriteTokens")
FROM "UsageDailyRollup" r
CROSS JOIN LATERAL (VALUES ('API_KEY'::"UsageDimension", r."apiKeyId"), ('EXTERNAL_USER', r."externalUserId"), ('EXTERNAL_PROJECT', r."externalProjectId")) d ("dimension", "value")
GROUP BY 1, 2, 3, 4, 5;

-- Statistics now, so that rollups are planned on the filled table before autovacuum gets to it.
ANALYZE "UsageDailyByDimension";
