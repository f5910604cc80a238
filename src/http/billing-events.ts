// The process's BillingEvents: yoga's pub/sub, over Redis when REDIS_URL is set (so a write on one
// gateway process reaches a subscription on another), in process otherwise.
import { createPubSub } from "@graphql-yoga/subscription";
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { Redis } from "ioredis";
import type { Logger } from "../config/logger.js";
import type { BillingEvent, BillingEvents } from "../domain/context.js";

export function createBillingEvents(options: { redisUrl?: string; keyPrefix: string; logger: Logger }): BillingEvents {
  const clients = options.redisUrl ? [redisClient(options.redisUrl, options.logger, false), redisClient(options.redisUrl, options.logger, true)] : [];
  const [publisher, subscriber] = clients;
  // While Redis is down a publish fails at once and the event is dropped (best effort), rather than
  // queueing in memory or rejecting unhandled; the subscriber's client queues its SUBSCRIBEs and
  // subscribes again when it reconnects.
  const publishClient = publisher && ({ publish: (channel: string, message: string) => publisher.publish(channel, message).catch(() => 0) } as unknown as Redis);
  const pubSub = createPubSub<{ [topic: string]: [BillingEvent] }>(
    subscriber ? { eventTarget: createRedisEventTarget({ publishClient: publishClient!, subscribeClient: subscriber }) } : undefined,
  );
  // One channel per workspace: a process subscribes in Redis only to the workspaces it serves.
  const topic = (workspaceId: string) => `${options.keyPrefix}:billing:${workspaceId}`;
  return {
    publish: (event) => pubSub.publish(topic(event.workspaceId), event),
    subscribe: (workspaceId) => pubSub.subscribe(topic(workspaceId))[Symbol.asyncIterator](),
    async close() {
      await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
    },
  };
}

/** A client that reconnects for ever (subscriptions resume once Redis is back) and logs each outage once. */
function redisClient(url: string, logger: Logger, offlineQueue: boolean): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: null, enableOfflineQueue: offlineQueue, retryStrategy: (times) => Math.min(times * 200, 5_000) });
  let down = false;
  client.on("error", (error: Error) => {
    if (!down) logger.warn({ err: error.message }, "billing events: Redis unreachable; subscriptions on other processes miss events until it returns");
    down = true;
  });
  client.on("ready", () => { down = false; });
  return client;
}
