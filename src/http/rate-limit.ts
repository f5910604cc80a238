// Per-caller request budgets. Counters live in memory, or in Redis when REDIS_URL is set so that
// several gateway processes share one limit (rate-limiter-flexible does the counting atomically).
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { RateLimiter, RateLimitState } from "../domain/context.js";

export type { RateLimiter };

/** The budget as GitHub and the IETF RateLimit draft send it; Retry-After on a refusal. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    "RateLimit-Limit": String(state.limit),
    "RateLimit-Remaining": String(state.remaining),
    "RateLimit-Reset": String(state.resetSeconds),
    ...(state.retryAfterSeconds !== null ? { "Retry-After": String(state.retryAfterSeconds) } : {}),
  };
}

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
  const state = (res: RateLimiterRes, refused: boolean): RateLimitState => {
    const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    return { limit: options.points, remaining: res.remainingPoints, resetSeconds: seconds, retryAfterSeconds: refused ? seconds : null };
  };
  return {
    async consume(key) {
      try {
        return state(await limiter.consume(key), false);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return state(rejection, true);
        throw rejection; // the counter store (Redis) could not be reached
      }
    },
    async close() {
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
