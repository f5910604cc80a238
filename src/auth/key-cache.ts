// Live API keys cached in each process, so that a request does not read its key from the database.
// A trigger announces every change that could matter (a key revoked, re-scoped, re-dated or deleted;
// workspaces added to or taken from an organization) on PostgreSQL's NOTIFY channel, and every
// process drops what it cached at once. While a process's listening connection is down it may miss
// such a message: then it serves nothing from the cache, and empties it when it listens again.
import type { Database } from "../db/client.js";
import type { ApiKeyRecord } from "../domain/credentials.js";

export const API_KEY_CHANNEL = "gateway_api_keys";

export interface ApiKeyCache {
  /** The key's record from the cache, else from `load` (cached when it is a live key). */
  lookup(secretHash: string, load: () => Promise<ApiKeyRecord | null>): Promise<ApiKeyRecord | null>;
  close(): Promise<void>;
}

export interface KeyCacheLimits {
  maxEntries: number;
  /** A bound on staleness should a change ever bypass the trigger (a restored backup, say). */
  ttlMs: number;
}

export async function createApiKeyCache(db: Database, limits: KeyCacheLimits): Promise<ApiKeyCache> {
  const entries = new Map<string, { record: ApiKeyRecord; until: number }>();
  let listening = false;
  // Bumped by every change message: a read that a change overtook is not cached.
  let generation = 0;
  const changed = (apiKeyId: string | null) => {
    generation++;
    if (apiKeyId === null) return entries.clear();
    for (const [hash, entry] of entries) if (entry.record.id === apiKeyId) entries.delete(hash);
  };
  const stop = await db.listen(API_KEY_CHANNEL, {
    onMessage: (payload) => changed(payload === "*" ? null : payload),
    onListening: (live) => {
      listening = live;
      changed(null);
    },
  });
  return {
    async lookup(secretHash, load) {
      const entry = listening ? entries.get(secretHash) : undefined;
      if (entry && entry.until > performance.now()) return entry.record;
      const before = generation;
      const record = await load();
      if (record && !record.revokedAt && listening && generation === before && limits.ttlMs > 0) {
        entries.delete(secretHash);
        // A Map keeps insertion order: past the limit, the oldest entry goes.
        if (entries.size >= limits.maxEntries) entries.delete(entries.keys().next().value!);
        entries.set(secretHash, { record, until: performance.now() + limits.ttlMs });
      }
      return record;
    },
    close: stop,
  };
}
