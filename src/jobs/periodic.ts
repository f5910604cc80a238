// Work every gateway process repeats on a timer: one pass at a time in a process (a slow pass
// delays the next), a failed pass logged and left to the next, and a stop that waits for the pass
// under way. The timer never keeps a process alive on its own.
import type { Logger } from "../config/logger.js";

export interface PeriodicJob {
  /** One pass now (also what the timer runs); resolves with what it counted, 0 after a failure. */
  runOnce(): Promise<number>;
  /** A pass soon, off the caller's stack; nothing without a timer or once stopping. */
  kick(): void;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
  /** Set by stop(): a long pass checks it to end early. */
  readonly stopping: boolean;
}

export function periodicJob(options: { intervalMs: number; logger: Logger; name: string }, pass: () => Promise<number>): PeriodicJob {
  let running: Promise<number> | null = null;
  let stopping = false;
  const runOnce = () => {
    running ??= pass()
      .catch((error: Error) => {
        options.logger.error({ err: error.message }, `${options.name} pass failed; the next pass retries`);
        return 0;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = options.intervalMs > 0 ? setInterval(runOnce, options.intervalMs) : null;
  timer?.unref();
  return {
    runOnce,
    kick: () => void (timer && !stopping && setImmediate(runOnce)),
    async stop() {
      stopping = true;
      if (timer) clearInterval(timer);
      await running;
    },
    get stopping() {
      return stopping;
    },
  };
}
