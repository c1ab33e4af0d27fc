import { errors as joseErrors } from 'jose';
import { isWardenError, WardenError, type WardenErrorCode } from '../../errors.js';

/**
 * Maps a failure while verifying a JWT onto Warden's codes. The caller's message names the claim
 * or header at fault and nothing else: never the token, never jose's own wording.
 */
export function toTokenError(error: unknown): WardenError {
  if (isWardenError(error)) return error;
  const [code, message] = classify(error);
  return new WardenError(code, message, { cause: error });
}

function classify(error: unknown): [WardenErrorCode, string] {
  if (error instanceof joseErrors.JWTExpired) {
    return error.claim === 'iat'
      ? ['ERR_TOKEN_EXPIRED', 'access token is older than this issuer allows']
      : ['ERR_TOKEN_EXPIRED', 'access token expired'];
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) return claimFailure(error);
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return ['ERR_TOKEN_ALGORITHM', 'access token algorithm is not allowed'];
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return ['ERR_TOKEN_SIGNATURE', 'access token signature is invalid'];
  }
  if (
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys
  ) {
    return ['ERR_TOKEN_SIGNATURE', 'access token signing key is unknown'];
  }
  if (error instanceof joseErrors.JOSENotSupported) {
    return ['ERR_TOKEN_HEADER', 'access token header uses an unsupported extension'];
  }
  return ['ERR_TOKEN_MALFORMED', 'access token is malformed'];
}

type ClaimError = InstanceType<typeof joseErrors.JWTClaimValidationFailed>;

function claimFailure(error: ClaimError): [WardenErrorCode, string] {
  switch (error.claim) {
    case 'typ':
      return ['ERR_TOKEN_TYPE', 'access token "typ" header is not "at+jwt"'];
    case 'aud':
      return ['ERR_TOKEN_AUDIENCE', 'access token is for another audience'];
    case 'nbf':
      return ['ERR_TOKEN_NOT_YET_VALID', 'access token is not yet valid'];
    case 'iat':
      if (error.reason === 'check_failed') {
        return ['ERR_TOKEN_NOT_YET_VALID', 'access token was issued in the future'];
      }
  }
  const problem = error.reason === 'missing' ? 'is missing' : 'is invalid';
  return ['ERR_TOKEN_CLAIMS', `access token claim "${safeName(error.claim)}" ${problem}`];
}

// Claim names come from jose's list of registered claims, but keep the message printable anyway.
function safeName(claim: string): string {
  return claim.replace(/[^\w.-]/g, '').slice(0, 32);
}
