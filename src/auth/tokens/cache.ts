import { createHash } from 'node:crypto';

/** Counters of the verified-token cache, for metrics. */
export interface TokenCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
  readonly size: number;
  readonly maxEntries: number;
}

/** A bounded cache of verification results, keyed by a hash of the token. */
export interface TokenCache<V> {
  get(token: string): V | undefined;
  /** Remembers `value` until `expiresAtMs`; nothing is kept when that is not in the future. */
  set(token: string, value: V, expiresAtMs: number): void;
  stats(): TokenCacheStats;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAtMs: number;
}

/**
 * Creates the verified-token cache: a token verified once is not verified again until its entry
 * expires, which the caller sets to the earliest of the token's `exp` and the configured maximum.
 * Only fully verified tokens go in; a hit costs one SHA-256 and a map lookup.
 *
 * Keys are SHA-256 hashes, so the cache never holds a token. Least recently used entries are
 * evicted beyond `maxEntries`; `maxEntries: 0` disables caching.
 */
export function createTokenCache<V>(maxEntries: number, now: () => number): TokenCache<V> {
  const entries = new Map<string, Entry<V>>();
  let hits = 0;
  let misses = 0;
  let evictions = 0;

  return {
    get(token) {
      if (maxEntries === 0) return undefined;
      const key = hashToken(token);
      const entry = entries.get(key);
      if (entry === undefined || entry.expiresAtMs <= now()) {
        if (entry !== undefined) entries.delete(key);
        misses += 1;
        return undefined;
      }

      // Map order is insertion order: re-inserting marks the entry as recently used.
      entries.delete(key);
      entries.set(key, entry);
      hits += 1;
      return entry.value;
    },

    set(token, value, expiresAtMs) {
      if (maxEntries === 0 || expiresAtMs <= now()) return;
      entries.set(hashToken(token), { value, expiresAtMs });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
        evictions += 1;
      }
    },

    stats: () => ({ hits, misses, evictions, size: entries.size, maxEntries }),
  };
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
