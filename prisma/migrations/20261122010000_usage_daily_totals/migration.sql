-- Daily usage without the high-cardinality dimensions, so that rollups by SKU, model, currency or
-- resource kind read a few rows per day. Filled from the existing daily rollups.

CREATE TABLE "UsageDailyTotal" (
    "workspaceId" UUID NOT NULL,
    "day" DATE NOT NULL,
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
    CONSTRAINT "UsageDailyTotal_pkey" PRIMARY KEY ("workspaceId", "day", "skuId", "model", "currency", "resourceKind")
);

ALTER TABLE "UsageDailyTotal" ADD CONSTRAINT "UsageDailyTotal_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

INSERT INTO "UsageDailyTotal" ("workspaceId", "day", "skuId", "model", "currency", "resourceKind", "quantity", "amount", "costUsd",
  "credits", "eventCount", "promptTokens", "completionTokens", "cacheReadTokens", "cacheWriteTokens")
SELECT "workspaceId", "day", "skuId", "model", "currency", "resourceKind", SUM("quantity"), SUM("amount"), SUM("costUsd"), SUM("credits"),
  SUM("eventCount"), SUM("promptTokens"), SUM("completionTokens"), SUM("cacheReadTokens"), SUM("cacheWriteTokens")
FROM "UsageDailyRollup"
GROUP BY 1, 2, 3, 4, 5, 6;
