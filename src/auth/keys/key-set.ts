import {
  createLocalJWKSet,
  errors as joseErrors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import { WardenError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { fetchJwks } from './fetch-jwks.js';

/** Options of {@link createIssuerKeySet}; durations in milliseconds. */
export interface IssuerKeySetOptions {
  jwksUri: URL;
  /** Keys older than this are refetched before use. */
  cacheMaxAgeMs: number;
  /** Least time between two fetch attempts, successful or not. */
  refetchCooldownMs: number;
  /** How long past `cacheMaxAgeMs` known keys keep working while fetches fail. */
  outageGraceMs: number;
  fetchTimeoutMs: number;
  logger: Logger;
  /** The clock, in milliseconds since the epoch; tests move it. */
  now?: () => number;
}

/** How usable an issuer's keys are right now, for `/readyz`. */
export interface KeySetStatus {
  /** `ok`; `degraded`: serving known keys while fetches fail; `unavailable`: no usable keys. */
  readonly state: 'ok' | 'degraded' | 'unavailable';
  /** When the keys were last fetched, ms since the epoch. */
  readonly fetchedAt: number | undefined;
  /** How many fetches were attempted since start. */
  readonly fetches: number;
}

/** An issuer's signing keys, for jose's `jwtVerify`. */
export interface IssuerKeySet {
  /** jose's key resolver: the key for a token's header, or a `WardenError`. */
  getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): ReturnType<LocalKeySet>;
  /** Fetches the keys now (at start, so the first request does not pay for it). */
  reload(): Promise<void>;
  /** The key set last fetched. */
  jwks(): JSONWebKeySet | undefined;
  /** Whether this `kid` is still published; cached tokens signed by a removed key die. */
  knows(kid: string | undefined): boolean;
  status(): KeySetStatus;
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * An issuer's JWKS, fetched on demand and cached, with the rotation and outage behaviour jose's
 * remote key set does not give: jose rate-limits refetches only after a successful fetch, so an
 * unreachable IdP would be asked again on every request carrying an unknown `kid`, and after
 * `cacheMaxAge` it drops the keys it knows. Here:
 *
 * - an unknown `kid` triggers one refetch, and every fetch, successful or not, starts a cooldown,
 *   so forged `kid`s cannot make Warden hammer the IdP;
 * - keys older than `cacheMaxAgeMs` are refetched; if that fails they keep working for
 *   `outageGraceMs` more (status `degraded`), then fail closed; unknown keys always fail closed.
 *
 * jose's local key set still selects and imports the key (by `kid`, `alg`, `kty`, `use`, `crv`).
 */
export function createIssuerKeySet(options: IssuerKeySetOptions): IssuerKeySet {
  const now = options.now ?? Date.now;
  const log = options.logger.child({ module: 'jwks', jwksUri: options.jwksUri.href });
  let local: LocalKeySet | undefined;
  let fetchedAt: number | undefined;
  let attemptedAt: number | undefined;
  let failing = false;
  let fetches = 0;
  let kids = new Set<string>();
  let pending: Promise<void> | undefined;

  const coolingDown = () =>
    attemptedAt !== undefined && now() - attemptedAt < options.refetchCooldownMs;
  const age = () => (fetchedAt === undefined ? Infinity : now() - fetchedAt);
  const usable = () =>
    local !== undefined && age() <= options.cacheMaxAgeMs + options.outageGraceMs;

  function refresh(): Promise<void> {
    if (pending) return pending;
    attemptedAt = now();
    fetches += 1;
    pending = fetchJwks(options.jwksUri, options.fetchTimeoutMs)
      .then(accept)
      .catch(recordFailure)
      .finally(() => (pending = undefined));
    return pending;
  }

  function accept(jwks: JSONWebKeySet): void {
    local = createLocalJWKSet(jwks);
    const next = new Set(jwks.keys.flatMap((key) => (key.kid === undefined ? [] : [key.kid])));
    if (fetchedAt !== undefined && !sameKids(kids, next)) log.info('issuer keys rotated');
    kids = next;
    fetchedAt = now();
    if (failing) log.info('issuer keys reachable again');
    failing = false;
  }

  // An unreachable IdP and an unusable key set (bad JSON, no `keys`) are the same outage.
  function recordFailure(error: unknown): never {
    if (!failing) {
      log.warn('issuer keys could not be fetched', { code: 'WARDEN_JWKS_UNAVAILABLE', error });
    }
    failing = true;
    throw error;
  }

  // Stale keys are refreshed when allowed; a failed refresh leaves the known keys in place.
  async function ensureKeys(): Promise<LocalKeySet> {
    if (pending || ((local === undefined || age() > options.cacheMaxAgeMs) && !coolingDown())) {
      await refresh().catch(() => undefined);
    }
    if (local === undefined || !usable()) throw unavailable();
    return local;
  }

  async function getKey(header: JWSHeaderParameters, token: FlattenedJWSInput) {
    const keys = await ensureKeys();
    try {
      return await keys(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || coolingDown()) throw error;
      await refresh().catch(() => undefined);
      return (await ensureKeys())(header, token);
    }
  }

  return {
    getKey,
    reload: refresh,
    jwks: () => local?.jwks(),
    knows: (kid) => kid === undefined || kids.has(kid),
    status: () => ({
      state: !usable() ? 'unavailable' : failing ? 'degraded' : 'ok',
      fetchedAt,
      fetches,
    }),
  };
}

function unavailable(): WardenError {
  return new WardenError('ERR_TOKEN_KEYS_UNAVAILABLE', 'issuer keys are unavailable');
}

function sameKids(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((kid) => b.has(kid));
}
