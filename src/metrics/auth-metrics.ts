import { Counter, Gauge } from 'prom-client';
import type { AuthStats } from '../auth/resource-server.js';
import { registry } from './registry.js';

let source: (() => AuthStats) | undefined;

/**
 * Reads the token cache and key set metrics from `src/auth`'s own counters at each scrape, so the
 * token code keeps one set of counters and needs no metrics code. The last Warden built in a
 * process is the one observed.
 */
export function observeAuthStats(stats: () => AuthStats): void {
  source = stats;
}

/** Verified-token cache lookups, by `result` (`hit` or `miss`). */
export const tokenCacheLookups = new Counter({
  name: 'warden_token_cache_lookups_total',
  help: 'Verified access token cache lookups, by result (hit or miss)',
  labelNames: ['result'] as const,
  registers: [registry],
  collect() {
    const cache = source?.().tokenCache;
    if (cache === undefined) return;
    this.reset();
    this.inc({ result: 'hit' }, cache.hits);
    this.inc({ result: 'miss' }, cache.misses);
  },
});

/** Verified tokens held in the cache. */
export const tokenCacheEntries = new Gauge({
  name: 'warden_token_cache_entries',
  help: 'Verified access tokens currently cached',
  registers: [registry],
  collect() {
    const cache = source?.().tokenCache;
    if (cache !== undefined) this.set(cache.size);
  },
});

/** JWKS fetches per trusted issuer. */
export const jwksRefreshes = new Counter({
  name: 'warden_jwks_refreshes_total',
  help: 'JWKS fetches attempted, by issuer',
  labelNames: ['issuer'] as const,
  registers: [registry],
  collect() {
    const keys = source?.().issuerKeys;
    if (keys === undefined) return;
    this.reset();
    for (const [issuer, status] of Object.entries(keys)) this.inc({ issuer }, status.fetches);
  },
});

/** 1 for each issuer's current key state (`ok`, `degraded`, `unavailable`), 0 for the others. */
export const issuerKeysState = new Gauge({
  name: 'warden_issuer_keys_state',
  help: "State of each trusted issuer's keys: ok, degraded (serving known keys) or unavailable",
  labelNames: ['issuer', 'state'] as const,
  registers: [registry],
  collect() {
    const keys = source?.().issuerKeys;
    if (keys === undefined) return;
    this.reset();
    for (const [issuer, status] of Object.entries(keys)) {
      for (const state of ['ok', 'degraded', 'unavailable']) {
        this.set({ issuer, state }, status.state === state ? 1 : 0);
      }
    }
  },
});
