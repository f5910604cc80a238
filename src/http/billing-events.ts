// The process's BillingEvents: an event target, Redis's (@graphql-yoga/redis-event-target) when
// REDIS_URL is set, so that a write on one gateway process reaches a subscription on another, or
// one in this process otherwise.
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { Redis } from "ioredis";
import type { Logger } from "../config/logger.js";
import type { BillingEvent, BillingEvents } from "../domain/context.js";

/** Events a subscriber may be behind by; past it the oldest are dropped (each event re-reads the present). */
const QUEUE_LIMIT = 256;

type Target = Pick<EventTarget, "addEventListener" | "removeEventListener" | "dispatchEvent">;

export function createBillingEvents(options: { redisUrl?: string; keyPrefix: string; logger: Logger }): BillingEvents {
  const { logger } = options;
  const redis = options.redisUrl ? { publisher: redisClient(options.redisUrl, logger, false), subscriber: redisClient(options.redisUrl, logger, true) } : null;
  const fail = (what: string) => (error: Error) => {
    logger.warn({ err: error.message }, `billing events: Redis ${what} failed`);
    return 0;
  };
  // The library calls these without handling their promises: a rejection would end the process.
  // While Redis is down a publish fails at once and the event is dropped (best effort), rather
  // than queueing in memory; the subscriber queues its SUBSCRIBEs and resubscribes on reconnecting.
  const target: Target = redis
    ? createRedisEventTarget({
        publishClient: { publish: (channel: string, message: string) => redis.publisher.publish(channel, message).catch(fail("publish")) } as unknown as Redis,
        subscribeClient: {
          on: (event: string, listener: (...args: unknown[]) => void) => redis.subscriber.on(event, listener),
          subscribe: (channel: string) => redis.subscriber.subscribe(channel).catch(fail("subscribe")),
          unsubscribe: (channel: string) => redis.subscriber.unsubscribe(channel).catch(fail("unsubscribe")),
        } as unknown as Redis,
      })
    : new EventTarget();
  // One channel per workspace: a process subscribes in Redis only to the workspaces it serves.
  const topic = (workspaceId: string) => `${options.keyPrefix}:billing:${workspaceId}`;
  return {
    publish: (event) => void target.dispatchEvent(new CustomEvent(topic(event.workspaceId), { detail: event })),
    async subscribe(workspaceId) {
      const events = listen(target, topic(workspaceId));
      // Listening before the caller's first read, so that no write falls between the two; a Redis
      // that does not answer within a moment (down) delays nobody: it resubscribes when back.
      if (redis) await Promise.race([redis.subscriber.subscribe(topic(workspaceId)).catch(fail("subscribe")), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      return events;
    },
    async close() {
      // disconnect, not quit: a quit queued behind commands to a Redis that is down never returns.
      if (redis) for (const client of [redis.publisher, redis.subscriber]) client.disconnect();
    },
  };
}

/**
 * A topic's events from now until the iterator is returned, in a bounded queue: a subscriber that
 * reads slowly loses its oldest events, never the process's memory or the publisher's time.
 */
function listen(target: Target, topic: string): AsyncIterableIterator<BillingEvent> {
  const queue: BillingEvent[] = [];
  let wake: (() => void) | null = null;
  let closed = false;
  const listener = (event: Event) => {
    if (queue.length >= QUEUE_LIMIT) queue.shift();
    queue.push((event as CustomEvent<BillingEvent>).detail);
    wake?.();
  };
  target.addEventListener(topic, listener);
  const close = () => {
    if (closed) return;
    closed = true;
    target.removeEventListener(topic, listener);
    wake?.();
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      while (queue.length === 0 && !closed) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      const event = queue.shift();
      return event ? { value: event, done: false } : { value: undefined, done: true };
    },
    async return() {
      close();
      return { value: undefined, done: true };
    },
  };
}

/** A client that reconnects for ever (subscriptions resume once Redis is back) and logs each outage once. */
function redisClient(url: string, logger: Logger, subscriber: boolean): Redis {
  // The subscriber queues its SUBSCRIBEs while disconnected; the publisher drops events instead.
  const offlineQueue = subscriber;
  const client = new Redis(url, {
    maxRetriesPerRequest: null,
    enableOfflineQueue: offlineQueue,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
    // ioredis sends SUBSCRIBE while it still connects, then its ready check (INFO) and client-info
    // commands, which a subscribed connection refuses: it dropped the connection, and a channel
    // not yet confirmed was never subscribed again. The subscriber sends subscriber commands only.
    ...(subscriber ? { enableReadyCheck: false, disableClientInfo: true } : {}),
  });
  let down = false;
  client.on("error", (error: Error) => {
    if (!down) logger.warn({ err: error.message }, "billing events: Redis unreachable; subscriptions on other processes miss events until it returns");
    down = true;
  });
  client.on("ready", () => {
    down = false;
  });
  return client;
}
