// What must hold of a workspace's usage tables after any writes: each daily, monthly and hourly
// table, row by row, totals exactly the usage records of its day or month (in the workspace's
// zone) or UTC hour, and group. Written here from the raw rows alone, not with the gateway's own SQL.
import type { Database } from "../../src/db/client.js";

const DAY = `(u."occurredAt" AT TIME ZONE w."timeZone")::date`;
const MONTH = `date_trunc('month', u."occurredAt" AT TIME ZONE w."timeZone")::date`;
const HOUR = `date_trunc('hour', u."occurredAt" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;
const EACH_DIMENSION = `CROSS JOIN LATERAL (VALUES ('API_KEY', u."apiKeyId"::text), ('EXTERNAL_USER', u."externalUserId"), ('EXTERNAL_PROJECT', u."externalProjectId")) d (dimension, value)`;

const TOKENS = ["promptTokens", "completionTokens", "cacheReadTokens", "cacheWriteTokens"];
const METRICS = ["quantity", "amount", `"costUsd"`, "credits", `"eventCount"`, ...TOKENS.map((t) => `"${t}"`)];

/** Each table: its key columns, and the same keys computed from a usage record `u` (with its workspace `w`). */
const TABLES: Record<string, { keys: string; raw: string; join?: string }> = {
  UsageDailyRollup: {
    keys: `day, "skuId", model, "apiKeyId", "externalUserId", "externalProjectId", currency::text, "resourceKind"::text`,
    raw: `${DAY}, u."skuId", COALESCE(u.model, ''), COALESCE(u."apiKeyId"::text, ''), COALESCE(u."externalUserId", ''), COALESCE(u."externalProjectId", ''), u.currency::text, u."resourceKind"::text`,
  },
  UsageDailyTotal: { keys: `day, "skuId", model, currency::text, "resourceKind"::text`, raw: `${DAY}, u."skuId", COALESCE(u.model, ''), u.currency::text, u."resourceKind"::text` },
  UsageMonthlyTotal: { keys: `month, "skuId", model, currency::text, "resourceKind"::text`, raw: `${MONTH}, u."skuId", COALESCE(u.model, ''), u.currency::text, u."resourceKind"::text` },
  UsageHourlyTotal: { keys: `hour, "skuId", model, currency::text, "resourceKind"::text`, raw: `${HOUR}, u."skuId", COALESCE(u.model, ''), u.currency::text, u."resourceKind"::text` },
  UsageDailyByDimension: { keys: `dimension::text, day, value, currency::text`, raw: `d.dimension, ${DAY}, COALESCE(d.value, ''), u.currency::text`, join: EACH_DIMENSION },
  UsageMonthlyByDimension: { keys: `dimension::text, month, value, currency::text`, raw: `d.dimension, ${MONTH}, COALESCE(d.value, ''), u.currency::text`, join: EACH_DIMENSION },
  UsageHourlyByDimension: { keys: `dimension::text, hour, value, currency::text`, raw: `d.dimension, ${HOUR}, COALESCE(d.value, ''), u.currency::text`, join: EACH_DIMENSION },
};

/** The usage tables whose rows differ from the raw rows (either way), with how many rows differ; an empty object when all agree. */
export async function usageTableViolations(db: Database, workspaceId: string): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  for (const [table, { keys, raw, join = "" }] of Object.entries(TABLES)) {
    const stored = `SELECT ${keys}, ${METRICS.join(", ")} FROM "${table}" WHERE "workspaceId" = $1::uuid`;
    const fromRaw = `SELECT ${raw}, SUM(u.units), SUM(u.amount), SUM(u."costUsd"), SUM(u.credits), COUNT(*), ${TOKENS.map((t) => `COALESCE(SUM(u."${t}"), 0)`).join(", ")}
      FROM "UsageRecord" u JOIN "Workspace" w ON w.id = u."workspaceId" ${join} WHERE u."workspaceId" = $1::uuid GROUP BY ${raw}`;
    const [{ n }] = await db.prisma.$queryRawUnsafe<[{ n: number }]>(
      `SELECT COUNT(*)::int AS n FROM ((${stored} EXCEPT ALL ${fromRaw}) UNION ALL (${fromRaw} EXCEPT ALL ${stored})) x`, workspaceId);
    if (n > 0) found[table] = n;
  }
  return found;
}
