// API requests worked on at once in this process; the others wait in arrival order, their bodies
// still unread. Node's one thread works every admitted request's rows, resolvers and answer
// between its database reads: with fifty under way at once, each stayed alive while the others
// ran, its objects outlived V8's young collections and were copied into the old generation, and
// collecting them cost a third of the process's CPU (README, Speed). A few at once finish fast.
// A request still running after `slowMs` (a long export, a read waiting on the database) gives its
// place to the next, so that slow work never holds up quick work; a subscription gives it back as
// soon as its stream starts.
// Past `maxDepth` waiting, or `maxWaitMs` waited, a request is refused with 503 OVERLOADED and a
// Retry-After of how long the queue takes to drain; it did nothing, so a retry loses nothing.
// Written here rather than with p-limit or p-queue: neither gives a slow task's place back, nor
// refuses a wait that has gone on too long.
import { AsyncResource } from "node:async_hooks";
import { UnavailableError } from "../domain/errors.js";

/** A request refused before it started: the queue was full, or its wait too long. */
export class AdmissionRefused extends UnavailableError {}

export interface AdmissionLimits {
  /** Requests worked on at once (REQUESTS_AT_ONCE). */
  atOnce: number;
  /** How long a request may wait for its turn (REQUEST_MAX_WAIT_MS). */
  maxWaitMs: number;
  /** Requests that may wait at once (REQUEST_QUEUE_MAX_DEPTH). */
  maxDepth: number;
  /** How long a request holds its place before the next may start beside it (REQUEST_SLOW_MS). */
  slowMs: number;
}

interface Waiter {
  start(): void;
  timer: NodeJS.Timeout;
}

export class RequestAdmission {
  private holding = 0;
  private readonly waiting: Waiter[] = [];
  /** A moving mean of how long a request holds its place, for Retry-After. */
  private meanMs = 10;

  constructor(private readonly limits: AdmissionLimits) {}

  /**
   * Runs `work` once fewer than `atOnce` requests hold a place; throws OVERLOADED when the queue is
   * full or the wait too long. `work` may give its place back early (`release`), once what is left
   * of it is a stream.
   */
  run<T>(work: (release: () => void) => Promise<T>): Promise<T> {
    if (this.waiting.length === 0 && this.holding < this.limits.atOnce) return this.hold(work);
    if (this.waiting.length >= this.limits.maxDepth) return Promise.reject(this.overloaded());
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        // In the waiting request's async context, not in that of the request that made room.
        start: AsyncResource.bind(() => void this.hold(work).then(resolve, reject)),
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          reject(this.overloaded());
        }, this.limits.maxWaitMs),
      };
      this.waiting.push(waiter);
    });
  }

  /** Requests waiting for their turn. */
  get queued(): number {
    return this.waiting.length;
  }

  private async hold<T>(work: (release: () => void) => Promise<T>): Promise<T> {
    const started = performance.now();
    this.holding++;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.holding--;
      this.meanMs = 0.9 * this.meanMs + 0.1 * (performance.now() - started);
      this.admitWaiting();
    };
    const slow = setTimeout(release, this.limits.slowMs);
    try {
      return await work(release);
    } finally {
      clearTimeout(slow);
      release();
    }
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.holding < this.limits.atOnce) {
      const next = this.waiting.shift()!;
      clearTimeout(next.timer);
      next.start();
    }
  }

  private overloaded(): AdmissionRefused {
    const drainSeconds = Math.ceil(((this.waiting.length + 1) * this.meanMs) / this.limits.atOnce / 1000);
    return new AdmissionRefused("OVERLOADED", "The gateway is busy; retry shortly", Math.min(30, Math.max(1, drainSeconds)));
  }
}
