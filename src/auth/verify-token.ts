import {
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { WardenError } from '../errors.js';
import { principalFromClaims, type Principal } from './principal.js';
import type { TrustedIssuer, TrustedIssuers } from './issuers.js';
import { createTokenCache, type TokenCacheStats } from './tokens/cache.js';
import { verifyJwtAccessToken } from './tokens/jwt.js';
import { introspectAccessToken } from './tokens/introspection.js';

/** Options for {@link createTokenVerifier}. */
export interface TokenVerifierOptions {
  issuers: TrustedIssuers;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. */
  clockToleranceSec: number;
  /** The verified-token cache: most entries (0 disables it) and longest reuse, in seconds. */
  cache: { maxEntries: number; maxAgeSec: number };
  /** The clock; tests freeze it to check `exp`, `nbf` and `iat`. */
  now?: () => Date;
}

/** Verifies an access token and returns who presented it. Throws `WardenError` on any failure. */
export type VerifyAccessToken = (token: string) => Promise<Principal>;

/** The verifier, and its cache's counters for metrics. */
export interface TokenVerifier {
  readonly verify: VerifyAccessToken;
  cacheStats(): TokenCacheStats;
}

interface Verified {
  readonly principal: Principal;
  readonly issuer: TrustedIssuer;
  readonly kid: string | undefined;
  /** When the token stops being acceptable: its `exp`, or `iat` plus the issuer's maximum age. */
  readonly validUntilMs: number;
}

/**
 * Creates the access-token verifier. A JWT's `iss` selects the trusted issuer before any key is
 * fetched, so an unknown issuer costs no network call; the issuer's policy then decides everything
 * else (see `verifyJwtAccessToken`). A token that is not a JWT is introspected at the one issuer
 * accepting opaque tokens. Either way the claims become a principal through the issuer's claim
 * mapping and delegation policy.
 *
 * Fully verified results are cached by a hash of the token until the earliest of its `exp`, its
 * maximum age and `cache.maxAgeSec`, and dropped early when its signing key leaves the JWKS.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const now = options.now ?? (() => new Date());
  const cache = createTokenCache<Verified>(options.cache.maxEntries, () => now().getTime());
  const opaqueIssuer = [...options.issuers.values()].find((issuer) => issuer.policy.acceptsOpaque);

  async function verifyUncached(token: string): Promise<Verified> {
    const segments = token.split('.').length;
    if (segments === 5) {
      throw new WardenError('ERR_TOKEN_KIND', 'encrypted (JWE) access tokens are not accepted');
    }

    const decoded = segments === 3 ? decodeHeader(token) : undefined;
    if (decoded !== undefined) return verifyJwt(token, decoded);
    if (opaqueIssuer !== undefined) return verifyOpaque(token, opaqueIssuer);
    throw new WardenError('ERR_TOKEN_MALFORMED', 'access token is not a JWT');
  }

  async function verifyJwt(token: string, header: ProtectedHeaderParameters): Promise<Verified> {
    const issuer = selectIssuer(options.issuers, token);
    const check = { clockToleranceSec: options.clockToleranceSec, now: now() };
    const claims = await verifyJwtAccessToken(token, header, { ...check, ...issuer });
    const principal = principalFromClaims(issuer.policy, claims, 'jwt');
    return { principal, issuer, kid: header.kid, validUntilMs: validUntilMs(claims, issuer) };
  }

  async function verifyOpaque(token: string, issuer: TrustedIssuer): Promise<Verified> {
    const client = issuer.introspection;
    if (client === undefined)
      throw new WardenError('ERR_TOKEN_KIND', 'opaque tokens are not accepted');

    const check = { policy: issuer.policy, client, clockToleranceSec: options.clockToleranceSec };
    const claims = await introspectAccessToken(token, { ...check, now: now() });
    const principal = principalFromClaims(issuer.policy, claims, 'opaque');
    return { principal, issuer, kid: undefined, validUntilMs: validUntilMs(claims, issuer) };
  }

  function cacheUntilMs(verified: Verified): number {
    const { principal, issuer } = verified;
    const maxSec =
      principal.tokenKind === 'opaque'
        ? (issuer.policy.introspection?.cacheMaxSec ?? 0)
        : options.cache.maxAgeSec;
    return Math.min(verified.validUntilMs, now().getTime() + maxSec * 1000);
  }

  return {
    async verify(token) {
      const hit = cache.get(token);
      if (hit !== undefined && hit.issuer.keys.knows(hit.kid)) return hit.principal;

      const verified = await verifyUncached(token);
      cache.set(token, verified, cacheUntilMs(verified));
      return verified.principal;
    },
    cacheStats: () => cache.stats(),
  };
}

function validUntilMs(claims: JWTPayload, issuer: TrustedIssuer): number {
  const exp = claims.exp ?? 0;
  const oldest = claims.iat === undefined ? exp : claims.iat + issuer.policy.maxTokenAgeSec;
  return Math.min(exp, oldest) * 1000;
}

function decodeHeader(token: string): ProtectedHeaderParameters | undefined {
  try {
    return decodeProtectedHeader(token);
  } catch {
    return undefined;
  }
}

function selectIssuer(issuers: TrustedIssuers, token: string): TrustedIssuer {
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch (cause) {
    throw new WardenError('ERR_TOKEN_MALFORMED', 'access token is not a JWT', { cause });
  }

  const issuer = typeof iss === 'string' ? issuers.get(iss) : undefined;
  if (issuer === undefined) {
    throw new WardenError('ERR_TOKEN_UNKNOWN_ISSUER', 'access token issuer is not trusted');
  }
  if (!issuer.policy.acceptsJwt) {
    throw new WardenError('ERR_TOKEN_KIND', 'JWT access tokens are not accepted from this issuer');
  }
  return issuer;
}
