// Ledger writes queue per workspace inside the process, holding no database connection while they
// wait: a burst on one workspace then takes one or two pool connections (one holding the
// workspace's lock, one preparing the next write), not all of them, and other tenants keep theirs.
// A write that would wait longer than `maxWaitMs`, or join a queue already `maxDepth` long, is
// refused with 503 OVERLOADED and a Retry-After of how long the queue takes to drain; it wrote
// nothing, so the client's retry loses nothing and posts nothing twice.
import { AsyncResource } from "node:async_hooks";
import { UnavailableError } from "./errors.js";

/** Ledger writes of one workspace under way at once in a process: one under its lock, one preparing. */
export const LEDGER_WRITES_PER_WORKSPACE = 2;

export interface WriteQueueLimits {
  maxWaitMs: number;
  maxDepth: number;
}

interface Waiter {
  /** It starts once fewer than this many writes of the workspace are under way. */
  limit: number;
  start(): void;
  timer: NodeJS.Timeout;
}

interface Lane {
  running: number;
  waiting: Waiter[];
}

export class WorkspaceWriteQueue {
  /** Workspaces with a write under way; a lane goes once its queue is empty. */
  private readonly lanes = new Map<string, Lane>();
  /** A moving mean of how long one write takes, for Retry-After. */
  private meanMs = 50;

  constructor(private readonly limits: WriteQueueLimits) {}

  /**
   * Runs `work` once the workspace's earlier writes in this process are done, telling it how much
   * of `maxWaitMs` the queue left for its own waits (a pool connection, another process's lock).
   */
  async run<T>(workspaceId: string, work: (remainingMs: number) => Promise<T>, limit = 1): Promise<T> {
    const lane = this.lanes.get(workspaceId) ?? this.openLane(workspaceId);
    if (lane.waiting.length === 0 && lane.running < limit) return this.runIn(workspaceId, lane, () => work(this.limits.maxWaitMs));
    if (lane.waiting.length >= this.limits.maxDepth) throw this.overloaded(lane.waiting.length);
    const queuedAt = performance.now();
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        limit,
        // Bound to the queued request's async context, not to the write that finished before it:
        // whatever follows a request through it (Prisma's tracing context) stays the request's own.
        start: AsyncResource.bind(() => void this.runIn(workspaceId, lane, () => work(this.limits.maxWaitMs - (performance.now() - queuedAt))).then(resolve, reject)),
        timer: setTimeout(() => {
          lane.waiting.splice(lane.waiting.indexOf(waiter), 1);
          reject(this.overloaded(lane.waiting.length));
        }, this.limits.maxWaitMs),
      };
      lane.waiting.push(waiter);
    });
  }

  /** Writes waiting in this process, all workspaces together. */
  get waiting(): number {
    let total = 0;
    for (const lane of this.lanes.values()) total += lane.waiting.length;
    return total;
  }

  private openLane(workspaceId: string): Lane {
    const lane: Lane = { running: 0, waiting: [] };
    this.lanes.set(workspaceId, lane);
    return lane;
  }

  private async runIn<T>(workspaceId: string, lane: Lane, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    lane.running++;
    try {
      return await work();
    } finally {
      lane.running--;
      this.meanMs = 0.8 * this.meanMs + 0.2 * (performance.now() - started);
      // In arrival order: the first waiting write starts once the writes under way allow it.
      while (lane.waiting.length > 0 && lane.running < lane.waiting[0]!.limit) {
        const next = lane.waiting.shift()!;
        clearTimeout(next.timer);
        next.start();
      }
      if (lane.running === 0 && lane.waiting.length === 0) this.lanes.delete(workspaceId);
    }
  }

  private overloaded(ahead: number): UnavailableError {
    const drainSeconds = Math.ceil(((ahead + 1) * this.meanMs) / 1000);
    return new UnavailableError("OVERLOADED", "Too many writes to this workspace at once; retry shortly", Math.min(30, Math.max(1, drainSeconds)));
  }
}
