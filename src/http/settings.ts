// What every request of one gateway process shares: configuration, the FOCUS budget, the key that
// signs cursors (kept in the database, so that every process shares it), the analytics cache and
// the billing events that subscriptions hear.
import path from "node:path";
import { LRUCache } from "lru-cache";
import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import type { Meter, RateLimiter, Settings } from "../domain/context.js";
import { CursorCodec } from "../domain/rules/pages.js";
import { ANALYTICS_TTL_MS } from "../domain/usage-rollup.js";
import { WorkspaceWriteQueue } from "../domain/write-queue.js";
import { gatewaySecret } from "../store/gateway-secrets.js";
import { prismaSql } from "../store/rows.js";
import { createRateLimiter } from "./rate-limit.js";
import { createBillingEvents } from "./billing-events.js";
import type { Clock } from "../domain/clock.js";
import type { Logger } from "../config/logger.js";

export async function createSettings(db: Database, config: Config, parts: { meter: Meter; rateLimiter?: RateLimiter; clock: Clock; logger: Logger }): Promise<Settings> {
  const { meter, rateLimiter, clock, logger } = parts;
  return {
    focusProviderName: config.FOCUS_PROVIDER_NAME,
    focusRateLimiter: rateLimiter ?? createRateLimiter({
      points: config.FOCUS_RATE_LIMIT_PER_MINUTE,
      durationSeconds: 60,
      redisUrl: config.REDIS_URL,
      keyPrefix: `${config.REDIS_KEY_PREFIX}:focus`,
    }),
    cursors: new CursorCodec(await gatewaySecret(prismaSql(db.prisma), "cursor")),
    analyticsCache: new LRUCache<string, object>({ max: 1_000, ttl: ANALYTICS_TTL_MS }),
    ledgerWrites: new WorkspaceWriteQueue({ maxWaitMs: config.WRITE_MAX_WAIT_MS, maxDepth: config.WRITE_QUEUE_MAX_DEPTH }),
    ledgerWaits: { connectionMs: config.DB_CONNECTION_TIMEOUT_MS, lockMs: config.WRITE_MAX_WAIT_MS },
    meter,
    events: createBillingEvents({ redisUrl: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger }),
    clock,
    exports: {
      dir: path.resolve(config.EXPORT_DIR ?? path.join(config.DATA_DIR, "exports")),
      retentionDays: config.EXPORT_RETENTION_DAYS,
      urlTtlSeconds: config.EXPORT_URL_TTL_S,
      urlSecret: config.EXPORT_URL_SECRET ? Buffer.from(config.EXPORT_URL_SECRET) : await gatewaySecret(prismaSql(db.prisma), "export-url"),
    },
  };
}
