import { createHash } from 'node:crypto';
import {
  calculateJwkThumbprint,
  EmbeddedJWK,
  errors as joseErrors,
  jwtVerify,
  type JWK,
  type JWTPayload,
} from 'jose';
import { isWardenError, WardenError } from '../../errors.js';
import type { DpopNonces } from './nonce.js';
import type { ReplayCache } from './replay-cache.js';

/** Everything one DPoP proof is checked against. */
export interface DpopProofCheck {
  /** The `DPoP` header's value. */
  readonly proof: string;
  /** The request's method and its URL as the client addressed it (Warden's public URL). */
  readonly method: string;
  readonly url: string;
  /** The access token presented with the proof, and the key thumbprint it is bound to. */
  readonly accessToken: string;
  readonly jkt: string;
  readonly algorithms: readonly string[];
  readonly proofMaxAgeSec: number;
  readonly clockToleranceSec: number;
  readonly now: Date;
  /** Present when a server nonce is required in every proof. */
  readonly nonces: DpopNonces | undefined;
  readonly replay: ReplayCache;
}

/**
 * Checks a DPoP proof as RFC 9449 §4.3 and §7.1 require of a resource server: a JWT with
 * `typ: dpop+jwt`, an allowed asymmetric `alg`, signed by the public key in its `jwk` header;
 * `htm` and `htu` naming this request; `iat` within `proofMaxAgeSec` (and not in the future);
 * `ath` the hash of this access token; the key's thumbprint equal to the token's `cnf.jkt`; the
 * server nonce when one is required; and a `jti` never seen before (checked last, so invalid
 * proofs cannot fill the replay cache).
 *
 * jose does the JWS work (`EmbeddedJWK` refuses a private or malformed key); oauth4webapi's own
 * DPoP check cannot be used alone, as it sits inside its access-token validation and has no
 * replay cache, nonce or configurable window.
 *
 * @throws WardenError `ERR_DPOP_PROOF_INVALID`, `ERR_DPOP_BINDING`, `ERR_DPOP_NONCE`,
 *   `ERR_DPOP_PROOF_REPLAYED` or `ERR_DPOP_REPLAY_UNAVAILABLE`.
 */
export async function verifyDpopProof(check: DpopProofCheck): Promise<void> {
  const { payload, jwk } = await verifySignedProof(check);

  if (payload['htm'] !== check.method) throw invalid('"htm" does not match the request method');
  if (!sameResource(payload['htu'], check.url))
    throw invalid('"htu" does not match the request URL');
  if (payload['ath'] !== hash(check.accessToken)) throw invalid('"ath" does not match the token');
  if (typeof payload.jti !== 'string' || payload.jti.length > 256)
    throw invalid('"jti" is invalid');

  if ((await calculateJwkThumbprint(jwk, 'sha256')) !== check.jkt) {
    const message = 'DPoP proof key does not match the access token binding';
    throw new WardenError('ERR_DPOP_BINDING', message);
  }
  if (check.nonces !== undefined && !check.nonces.accepts(payload['nonce'])) {
    throw new WardenError('ERR_DPOP_NONCE', 'DPoP proof must carry a fresh server nonce');
  }

  const ttlSec = check.proofMaxAgeSec + 2 * check.clockToleranceSec;
  if (!(await check.replay.remember(hash(`${check.jkt}:${payload.jti}`), ttlSec))) {
    throw new WardenError('ERR_DPOP_PROOF_REPLAYED', 'DPoP proof has already been used');
  }
}

async function verifySignedProof(
  check: DpopProofCheck,
): Promise<{ payload: JWTPayload; jwk: JWK }> {
  try {
    const { payload, protectedHeader } = await jwtVerify(check.proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...check.algorithms],
      requiredClaims: ['jti', 'htm', 'htu', 'iat'],
      maxTokenAge: check.proofMaxAgeSec,
      clockTolerance: check.clockToleranceSec,
      currentDate: check.now,
    });
    if (protectedHeader.jwk === undefined) throw invalid('"jwk" header is missing');
    return { payload, jwk: protectedHeader.jwk };
  } catch (error) {
    throw isWardenError(error) ? error : invalid(describe(error));
  }
}

function describe(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'is stale ("iat" too old)';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'typ') return '"typ" is not dpop+jwt';
    if (error.claim === 'iat' && error.reason === 'check_failed') return '"iat" is in the future';
    const problem = error.reason === 'missing' ? 'missing' : 'invalid';
    return `claim "${error.claim.replace(/[^\w]/g, '')}" is ${problem}`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm is not allowed';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature is invalid';
  if (error instanceof joseErrors.JWSInvalid) return '"jwk" header is missing or not a public key';
  return 'is malformed';
}

// RFC 9449 §4.3 (9): compared without query and fragment, after RFC 3986 §6.2.2-6.2.3
// normalisation, which WHATWG URL parsing performs (case, default port, dot segments).
function sameResource(htu: unknown, expected: string): boolean {
  if (typeof htu !== 'string' || !URL.canParse(htu)) return false;
  const strip = (url: URL) => `${url.protocol}//${url.host}${url.pathname}`;
  return strip(new URL(htu)) === strip(new URL(expected));
}

function hash(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function invalid(problem: string): WardenError {
  return new WardenError('ERR_DPOP_PROOF_INVALID', `DPoP proof ${problem}`);
}
