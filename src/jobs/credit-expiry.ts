// The expiry job: every gateway process runs it, so that an EXPIRATION row is posted within one
// interval of a lot's expiry even when nothing writes to the workspace. Balances do not wait for
// it (they leave expired lots out at read time); the job only makes the ledger say so.
import type { Logger } from "../config/logger.js";
import type { Database } from "../db/client.js";
import { Access } from "../domain/access.js";
import { frozenClock, type Clock } from "../domain/clock.js";
import { createRequestContext, type Settings } from "../domain/context.js";
import { expireDueLots } from "../domain/ledger.js";
import { periodicJob, type PeriodicJob } from "./periodic.js";

/** runOnce() resolves with the EXPIRATION rows posted. */
export type ExpiryJob = PeriodicJob;

export function startCreditExpiryJob(parts: { db: Database; settings: Settings; clock: Clock; logger: Logger; intervalMs: number }): ExpiryJob {
  const { db, settings, clock, logger, intervalMs } = parts;
  return periodicJob({ intervalMs, logger, name: "credit expiry" }, async () => {
    const posted = await expireDueLots(createRequestContext({
      db, settings, logger, access: Access.operator(), clock: frozenClock(clock.now()), requestId: "credit-expiry",
    }));
    if (posted > 0) logger.info({ posted }, "credit lots expired");
    return posted;
  });
}
