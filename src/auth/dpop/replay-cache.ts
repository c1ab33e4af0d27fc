/**
 * Remembers which DPoP proofs have been seen, so each is accepted once (RFC 9449 §11.1). Keys are
 * already hashed by the caller; a store sees no proof and no token.
 */
export interface ReplayCache {
  /**
   * Records `key` for `ttlSec`. Resolves `true` when it was not seen before, `false` for a replay.
   * Rejects when the store cannot answer; the caller then refuses the proof (fail closed).
   */
  remember(key: string, ttlSec: number): Promise<boolean>;
  /** Whether the store can answer right now, for `/readyz`. */
  isAvailable(): boolean;
  close(): Promise<void>;
}

/**
 * The in-memory replay cache, for one process. Entries expire with their proof's acceptance
 * window; beyond `maxEntries` the oldest are forgotten first, which lets a proof captured that
 * long ago be replayed within its window only if `maxEntries` fresh proofs were accepted since.
 * Several replicas each keep their own memory, so a proof could be replayed once per replica: use
 * the Redis store there.
 */
export function createMemoryReplayCache(maxEntries: number, now: () => number): ReplayCache {
  const seen = new Map<string, number>();

  function forgetExpired(): void {
    const time = now();
    for (const [key, expiresAt] of seen) {
      if (expiresAt <= time) seen.delete(key);
    }
  }

  return {
    async remember(key, ttlSec) {
      const expiresAt = seen.get(key);
      if (expiresAt !== undefined && expiresAt > now()) return false;

      if (seen.size >= maxEntries) forgetExpired();
      while (seen.size >= maxEntries) {
        const oldest = seen.keys().next();
        if (oldest.done === true) break;
        seen.delete(oldest.value);
      }
      seen.delete(key);
      seen.set(key, now() + ttlSec * 1000);
      return true;
    },
    isAvailable: () => true,
    async close() {
      seen.clear();
    },
  };
}
