// The expiry job: every gateway process runs it, so that an EXPIRATION row is posted within one
// interval of a lot's expiry even when nothing writes to the workspace. Balances do not wait for
// it (they leave expired lots out at read time); the job only makes the ledger say so.
import type { Logger } from "../config/logger.js";
import type { Database } from "../db/client.js";
import { Access } from "../domain/access.js";
import { frozenClock, type Clock } from "../domain/clock.js";
import { createRequestContext, type Settings } from "../domain/context.js";
import { expireDueLots } from "../domain/ledger.js";

export interface ExpiryJob {
  /** One pass now (also what the timer runs); resolves with the rows posted. */
  runOnce(): Promise<number>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

export function startCreditExpiryJob(parts: { db: Database; settings: Settings; clock: Clock; logger: Logger; intervalMs: number }): ExpiryJob {
  const { db, settings, clock, logger, intervalMs } = parts;
  let running: Promise<number> | null = null;
  const runOnce = () => {
    // Passes never overlap within a process; a slow one delays the next.
    running ??= expireDueLots(createRequestContext({
      db, settings, logger, access: Access.operator(), clock: frozenClock(clock.now()), requestId: "credit-expiry",
    }))
      .then((posted) => {
        if (posted > 0) logger.info({ posted }, "credit lots expired");
        return posted;
      })
      .catch((error: Error) => {
        logger.error({ err: error.message }, "credit expiry pass failed; the next pass retries");
        return 0;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = intervalMs > 0 ? setInterval(runOnce, intervalMs) : null;
  timer?.unref(); // the job never keeps a process alive on its own
  return {
    runOnce,
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
