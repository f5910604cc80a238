// Gives memory back once the gateway goes quiet after a burst of requests. Node 24's V8 runs its
// memory reducer only once allocation has slowed, and judges that from what it last measured: in
// our traces (--trace-memory-reducer) a gateway that had fallen idle after load was found at "high
// alloc" every 8 s and never collected, so its young generation and the old generation's garbage
// stayed resident (on the bench, 321 MB after its dashboard and ingestion load, 147 MB after one
// collection). Node 20's reducer did run. So once no request has arrived for a while after
// start-up or after some did, one full collection that shrinks the heap (26 ms for a 300 MB heap
// of garbage). It needs Node's --expose-gc, which `npm start` sets; without it (tests, a
// supervisor without the flag) nothing runs.

/** A full collection that also gives pages back to the system (V8's "last resort" kind). */
export type Collect = () => void;

export interface IdleCollection {
  /** Counts a request: activity that the next quiet spell collects after. */
  requestArrived(): void;
  stop(): void;
}

/** `gc` when the process runs with --expose-gc, as a collection that shrinks the heap. */
export function exposedCollector(): Collect | null {
  const gc = (globalThis as { gc?: (options?: object) => void }).gc;
  return gc ? () => gc({ type: "major", execution: "sync", flavor: "last-resort" }) : null;
}

/**
 * Checks every `checkMs`: once two checks in a row saw no new request, and some arrived since the
 * last collection (or the process has just started), collects once. Quiet means between `checkMs`
 * and twice that since the last request; a long request still running (an export, a
 * subscription) does not hold it off.
 */
export function startIdleCollection(collect: Collect | null, checkMs: number): IdleCollection {
  if (!collect) return { requestArrived: () => {}, stop: () => {} };
  let arrived = 1; // start-up (migrations, caches) is the first burst
  let seen = 0;
  let collectedAt = 0;
  let quietChecks = 0;
  const timer = setInterval(() => {
    if (arrived !== seen) {
      seen = arrived;
      quietChecks = 0;
    } else if (++quietChecks >= 2 && collectedAt !== arrived) {
      collectedAt = arrived;
      collect();
    }
  }, checkMs);
  timer.unref(); // never what keeps the process alive
  return {
    requestArrived: () => void arrived++,
    stop: () => clearInterval(timer),
  };
}
