import { jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { WardenError } from '../../errors.js';
import type { IssuerPolicy } from '../issuer-policy.js';
import type { IssuerKeySet } from '../keys/key-set.js';
import { toTokenError } from './errors.js';

/** What {@link verifyJwtAccessToken} needs besides the token. */
export interface JwtCheck {
  readonly policy: IssuerPolicy;
  readonly keys: IssuerKeySet;
  readonly clockToleranceSec: number;
  readonly now: Date;
}

// RFC 7515 §4.1.2-4.1.6: these headers point at a key. The key must come from the issuer's JWKS
// and nowhere else, so a token naming one is refused outright rather than ignored.
const KEY_LOCATING_HEADERS = ['jku', 'jwk', 'x5u', 'x5c'] as const;

// A `kid` is an opaque label, but not an arbitrary string: quotes, spaces and control characters
// (SQL or header injection probes) are refused before any key lookup or JWKS fetch.
const KID = /^[A-Za-z0-9._~+/=:-]{1,256}$/;

// Typed tokens of other kinds (RFC 8725 §3.11) are refused even when `typ` is not required.
const UNTYPED_ACCESS_TOKEN_TYPES = new Set(['jwt', 'at+jwt', 'application/at+jwt']);

/**
 * Verifies an RFC 9068 JWT access token from an already selected issuer: header checks before
 * any key is fetched, then jose verifies the signature against the issuer's keys with the
 * issuer's algorithm allowlist, `typ: at+jwt` (RFC 9068 §4), `iss`, `aud` (RFC 8707), `exp`,
 * `nbf`, `iat` not in the future and not older than `maxTokenAgeSec`, and that `exp`, `iat` and
 * `sub` are present. jose accepts any `iss`/`aud` and a missing `exp` unless told, so every
 * option is passed.
 *
 * @throws WardenError with the claim or header at fault.
 */
export async function verifyJwtAccessToken(
  token: string,
  header: ProtectedHeaderParameters,
  check: JwtCheck,
): Promise<JWTPayload> {
  const { policy } = check;
  checkHeader(header, policy);

  try {
    const { payload } = await jwtVerify(token, check.keys.getKey, {
      issuer: policy.issuer,
      audience: policy.audience,
      algorithms: [...policy.algorithms],
      ...(policy.requireAccessTokenType ? { typ: 'at+jwt' } : {}),
      clockTolerance: check.clockToleranceSec,
      maxTokenAge: policy.maxTokenAgeSec,
      requiredClaims: ['exp', 'iat', 'sub'],
      currentDate: check.now,
    });
    return payload;
  } catch (error) {
    throw toTokenError(error);
  }
}

function checkHeader(header: ProtectedHeaderParameters, policy: IssuerPolicy): void {
  // RFC 8725 §3.1: the algorithm comes from the allowlist, never from the token alone.
  if (typeof header.alg !== 'string' || !policy.algorithms.includes(header.alg)) {
    throw new WardenError('ERR_TOKEN_ALGORITHM', 'access token algorithm is not allowed');
  }

  for (const name of KEY_LOCATING_HEADERS) {
    if (Object.hasOwn(header, name)) throw headerError(`header "${name}" is not accepted`);
  }

  if (header.kid !== undefined && (typeof header.kid !== 'string' || !KID.test(header.kid))) {
    throw headerError('header "kid" is malformed');
  }

  const typ = header.typ;
  if (!policy.requireAccessTokenType && typ !== undefined) {
    if (typeof typ !== 'string' || !UNTYPED_ACCESS_TOKEN_TYPES.has(typ.toLowerCase())) {
      throw new WardenError('ERR_TOKEN_TYPE', 'access token "typ" header is not an access token');
    }
  }
}

function headerError(problem: string): WardenError {
  return new WardenError('ERR_TOKEN_HEADER', `access token ${problem}`);
}
