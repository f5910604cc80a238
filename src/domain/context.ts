// The request context: built once per request by the HTTP layer (or the command line) and handed
// to every domain function, so that none takes a long list of positional arguments.
import type { LRUCache } from "lru-cache";
import type { Logger } from "../config/logger.js";
import type { Database } from "../db/client.js";
import type { Access } from "./access.js";
import type { Clock } from "./clock.js";
import type { CursorCodec } from "./rules/pages.js";

/** Per-caller request budgets; rejects when its counter store cannot be reached. */
export interface RateLimiter {
  /** null when allowed, else the seconds to wait. */
  consume(key: string): Promise<number | null>;
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
}

export function createRequestContext(parts: Omit<RequestContext, "once">): RequestContext {
  const done = new Map<string, Promise<unknown>>();
  return {
    ...parts,
    once<T>(key: string, work: () => Promise<T>): Promise<T> {
      if (!done.has(key)) done.set(key, work());
      return done.get(key) as Promise<T>;
    },
  };
}
