// Per-caller request budgets. Counters live in memory, or in Redis when REDIS_URL is set so that
// several gateway processes share one limit (rate-limiter-flexible does the counting atomically).
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { RateLimiter } from "../domain/context.js";

export type { RateLimiter };

export interface RateLimitOptions {
  points: number;
  durationSeconds: number;
  redisUrl?: string;
  keyPrefix: string;
}

export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const redis = options.redisUrl ? new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false }) : null;
  redis?.on("error", () => {}); // reported per request; a Redis outage must not crash the gateway
  const limiter: RateLimiterAbstract = redis
    ? new RateLimiterRedis({ storeClient: redis, points: options.points, duration: options.durationSeconds, keyPrefix: options.keyPrefix, useRedisPackage: false })
    : new RateLimiterMemory({ points: options.points, duration: options.durationSeconds, keyPrefix: options.keyPrefix });
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
        return null;
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw rejection; // the counter store (Redis) could not be reached
      }
    },
    async close() {
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
