import { decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { WardenError, type WardenErrorCode } from '../errors.js';
import { principalFromClaims, type Principal } from './principal.js';
import type { TrustedIssuers } from './issuers.js';

/** Options for {@link createTokenVerifier}. */
export interface TokenVerifierOptions {
  issuers: TrustedIssuers;
  /** Leeway for `exp` and `nbf`, in seconds. */
  clockToleranceSec: number;
  /** The clock; tests freeze it to check `exp` and `nbf`. */
  now?: () => Date;
}

/** Verifies an access token and returns who presented it. Throws `WardenError` on any failure. */
export type VerifyAccessToken = (token: string) => Promise<Principal>;

/**
 * Creates the access-token verifier. A token's `iss` selects the trusted issuer before any key is
 * fetched, so an unknown issuer costs no network call. jose then checks the signature against that
 * issuer's JWKS with an algorithm allowlist (never `none` or HMAC), and `iss`, `aud`, `exp`, `nbf`:
 * jose accepts any `iss`/`aud` and a missing `exp` unless told, so every option is passed.
 */
export function createTokenVerifier(options: TokenVerifierOptions): VerifyAccessToken {
  return async function verifyAccessToken(token) {
    const issuer = selectIssuer(options.issuers, token);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, issuer.keys, {
        issuer: issuer.config.issuer,
        audience: issuer.config.audience,
        algorithms: [...issuer.config.algorithms],
        clockTolerance: options.clockToleranceSec,
        requiredClaims: ['exp', 'iat'],
        ...(options.now ? { currentDate: options.now() } : {}),
      }));
    } catch (cause) {
      throw toTokenError(cause);
    }

    return principalFromClaims(issuer.config.issuer, payload);
  };
}

function selectIssuer(issuers: TrustedIssuers, token: string) {
  let iss: string | undefined;
  try {
    iss = decodeJwt(token).iss;
  } catch (cause) {
    throw new WardenError('ERR_TOKEN_MALFORMED', 'access token is not a JWT', { cause });
  }

  const issuer = iss === undefined ? undefined : issuers.get(iss);
  if (issuer === undefined) {
    throw new WardenError('ERR_TOKEN_UNKNOWN_ISSUER', 'access token issuer is not trusted', {
      cause: { iss },
    });
  }
  return issuer;
}

function toTokenError(cause: unknown): WardenError {
  const [code, message] = classify(cause);
  return new WardenError(code, message, { cause });
}

// jose's error classes map onto Warden's codes; the caller's message stays generic per claim.
function classify(error: unknown): [WardenErrorCode, string] {
  if (error instanceof joseErrors.JWTExpired) return ['ERR_TOKEN_EXPIRED', 'access token expired'];
  if (error instanceof joseErrors.JWTClaimValidationFailed) return claimFailure(error);
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return ['ERR_TOKEN_ALGORITHM', 'access token algorithm is not allowed'];
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return ['ERR_TOKEN_SIGNATURE', 'access token signature is invalid'];
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) {
    return ['ERR_TOKEN_SIGNATURE', 'access token signing key is unknown'];
  }
  if (error instanceof joseErrors.JWKSTimeout || isFetchFailure(error)) {
    return ['ERR_TOKEN_KEYS_UNAVAILABLE', 'issuer keys are unavailable'];
  }
  return ['ERR_TOKEN_MALFORMED', 'access token is malformed'];
}

function claimFailure(error: InstanceType<typeof joseErrors.JWTClaimValidationFailed>) {
  const pair = (code: WardenErrorCode, message: string): [WardenErrorCode, string] => [
    code,
    message,
  ];
  if (error.claim === 'aud')
    return pair('ERR_TOKEN_AUDIENCE', 'access token is for another audience');
  if (error.claim === 'nbf')
    return pair('ERR_TOKEN_NOT_YET_VALID', 'access token is not yet valid');
  return pair('ERR_TOKEN_CLAIMS', `access token claim "${error.claim}" is invalid`);
}

function isFetchFailure(error: unknown): boolean {
  return error instanceof TypeError && error.message.includes('fetch failed');
}
