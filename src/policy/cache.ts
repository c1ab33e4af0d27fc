import { decisionCacheLookups } from '../metrics/registry.js';

/** Options of the decision cache. */
export interface DecisionCacheOptions {
  /** How long a decision is reused for identical inputs; 0 turns the cache off. */
  readonly ttlMs: number;
  /** Most decisions kept; the oldest are dropped first. */
  readonly maxEntries: number;
}

/** Hits and misses since start, for metrics and the benchmark. */
export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
}

/**
 * A small TTL cache keyed by the whole decision input (policy set hash, request and entities). It
 * saves the Cedar evaluation, not the entity loading: a changed attribute is a different key. Time
 * reaches Cedar with minute resolution (`context.time`), so the key itself changes when the minute
 * does and a cached allow never outlives a time window, whatever the TTL.
 */
export class DecisionCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  #hits = 0;
  #misses = 0;

  constructor(
    private readonly options: DecisionCacheOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached value for `key`, or what `compute` returns (then cached). */
  getOrCompute(key: string, compute: () => V): { value: V; cached: boolean } {
    if (this.options.ttlMs <= 0) return { value: compute(), cached: false };

    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.expiresAt > this.now()) {
      this.#hits += 1;
      decisionCacheLookups.inc({ result: 'hit' });
      return { value: entry.value, cached: true };
    }

    this.#misses += 1;
    decisionCacheLookups.inc({ result: 'miss' });
    const value = compute();
    this.#set(key, value);
    return { value, cached: false };
  }

  clear(): void {
    this.#entries.clear();
  }

  stats(): CacheStats {
    return { hits: this.#hits, misses: this.#misses, size: this.#entries.size };
  }

  #set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.now() + this.options.ttlMs });
    if (this.#entries.size <= this.options.maxEntries) return;

    // Maps iterate in insertion order, so the first key is the oldest.
    const oldest = this.#entries.keys().next();
    if (oldest.done !== true) this.#entries.delete(oldest.value);
  }
}
