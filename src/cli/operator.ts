// The command line acts as the operator: a request context with operator access (every workspace,
// every scope) and the system clock, through the same domain functions as the APIs.
import type { Config } from "../config/config.js";
import { createLogger } from "../config/logger.js";
import type { Database } from "../db/client.js";
import { Access } from "../domain/access.js";
import { frozenClock, systemClock, type Clock } from "../domain/clock.js";
import { createRequestContext, type RequestContext } from "../domain/context.js";
import { NO_METER } from "../http/metrics.js";
import { createSettings } from "../http/settings.js";

export async function operatorContext(db: Database, config: Config, clock: Clock = systemClock): Promise<RequestContext> {
  // The command line sends no FOCUS requests and serves no subscriptions: its budget and events stay
  // in memory, whatever REDIS_URL says.
  const logger = createLogger(config.LOG_LEVEL);
  const settings = await createSettings(db, { ...config, REDIS_URL: undefined }, { meter: NO_METER, clock, logger });
  return createRequestContext({
    db,
    access: Access.operator(),
    clock: frozenClock(clock.now()),
    settings,
    logger,
    requestId: "cli",
  });
}
