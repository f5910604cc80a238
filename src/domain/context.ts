// The request context: built once per request by the HTTP layer (or the command line) and handed
// to every domain function, so that none takes a long list of positional arguments.
import type { LRUCache } from "lru-cache";
import type { Logger } from "../config/logger.js";
import type { Database } from "../db/client.js";
import type { Access } from "./access.js";
import { frozenClock, type Clock } from "./clock.js";
import type { ExportSettings } from "./focus/export-jobs.js";
import type { CursorCodec } from "./rules/pages.js";
import type { WorkspaceWriteQueue } from "./write-queue.js";

/** Where a caller's budget stands after one request. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Seconds until the budget is whole again. */
  resetSeconds: number;
  /** Set when this request was refused: the seconds to wait. */
  retryAfterSeconds: number | null;
}

/** Per-caller request budgets; rejects when its counter store cannot be reached. */
export interface RateLimiter {
  /** Spends one unit of `key`'s budget. */
  consume(key: string): Promise<RateLimitState>;
  close(): Promise<void>;
}

/** What the domain tells the process's metrics (counted once committed). */
export interface Meter {
  usageRecords(outcome: "accepted" | "duplicate" | "rejected", count: number): void;
  focusRowsExported(dataset: string, format: string, rows: number): void;
  rateLimited(limit: string): void;
  creditExpirations(count: number): void;
}

/** What happened to a workspace, told once committed. */
export type BillingEvent =
  | { kind: "balance"; workspaceId: string }
  | { kind: "usage"; workspaceId: string; usageRecordIds: string[] };

/**
 * Committed writes, told to GraphQL subscriptions: within the process, or across processes through
 * Redis when REDIS_URL is set. Delivery is best effort (a subscriber re-reads what it shows).
 */
export interface BillingEvents {
  publish(event: BillingEvent): void;
  /** A workspace's events from the moment it resolves, until the iterator is returned. */
  subscribe(workspaceId: string): Promise<AsyncIterableIterator<BillingEvent>>;
  close(): Promise<void>;
}

/** What the whole gateway process shares: configuration and the state that outlives a request. */
export interface Settings {
  /** Provider, publisher and invoice issuer named in FOCUS rows and metadata. */
  focusProviderName: string;
  /** The per-caller budget of FOCUS requests, REST and GraphQL alike. */
  focusRateLimiter: RateLimiter;
  cursors: CursorCodec;
  /** Billing Usage analytics answers, by caller and parameters. */
  analyticsCache: LRUCache<string, object>;
  /** Ledger writes of this process, queued per workspace. */
  ledgerWrites: WorkspaceWriteQueue;
  /** How long a ledger write may wait for a pool connection (within what the write queue leaves it), and for row locks once it holds the workspace's. */
  ledgerWaits: { connectionMs: number; lockMs: number };
  meter: Meter;
  events: BillingEvents;
  /** The process's clock: a long-lived subscription reads "now" from it at each event. */
  clock: Clock;
  /** Retention and URL signing of export jobs' files. */
  exports: ExportSettings;
  /** This process's export job runner, told when a job is queued here; absent where none runs (the command line). */
  exportJobs?: { kick(): void };
}

export interface RequestContext {
  db: Database;
  access: Access;
  /** The request's "now": frozen when the request arrived. */
  clock: Clock;
  settings: Settings;
  /** Carries the request id on every line. */
  logger: Logger;
  requestId: string;
  /** Runs `work` at most once per request and key (a FOCUS budget is spent once per request). */
  once<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Tells the surface where the caller's budget stands, for its rate-limit headers. */
  noteRateLimit(state: RateLimitState): void;
  /**
   * This context again at the present moment, its credentials checked again (a revoked key fails):
   * a subscription outlives its request and asks before each event.
   */
  renewed(): Promise<RequestContext>;
}

type ContextParts = Omit<RequestContext, "once" | "noteRateLimit" | "renewed"> & {
  onRateLimit?: (state: RateLimitState) => void;
  /** How the surface renews it; by default, the same caller at the process's present moment. */
  renew?: () => Promise<RequestContext>;
};

// One object literal of a fixed shape: a rest-and-spread copy cost about 6 µs a request, and
// gave each request's context a shape of its own to look properties up in.
export function createRequestContext(parts: ContextParts): RequestContext {
  let done: Map<string, Promise<unknown>> | undefined;
  const { onRateLimit, renew } = parts;
  return {
    db: parts.db,
    access: parts.access,
    clock: parts.clock,
    settings: parts.settings,
    logger: parts.logger,
    requestId: parts.requestId,
    noteRateLimit: (state) => onRateLimit?.(state),
    renewed: renew ?? (async () => createRequestContext({ ...parts, clock: frozenClock(parts.settings.clock.now()) })),
    once<T>(key: string, work: () => Promise<T>): Promise<T> {
      done ??= new Map();
      if (!done.has(key)) done.set(key, work());
      return done.get(key) as Promise<T>;
    },
  };
}
