import type { Request } from 'express';
import { WardenError } from '../errors.js';
import { countHeader, type Credentials } from './credentials.js';
import type { TrustedIssuers } from './issuers.js';
import type { Principal } from './principal.js';
import type { VerifyAccessToken } from './verify-token.js';
import { verifyDpopProof } from './dpop/proof.js';
import type { DpopNonces } from './dpop/nonce.js';
import type { ReplayCache } from './dpop/replay-cache.js';

/** How DPoP proofs are checked (RFC 9449). */
export interface DpopSettings {
  readonly algorithms: readonly string[];
  readonly proofMaxAgeSec: number;
  /** Present when every proof must carry a server nonce. */
  readonly nonces: DpopNonces | undefined;
  readonly replay: ReplayCache;
}

/** Options of {@link createRequestVerifier}. */
export interface RequestVerifierOptions {
  readonly verifyAccessToken: VerifyAccessToken;
  readonly issuers: TrustedIssuers;
  readonly dpop: DpopSettings;
  readonly clockToleranceSec: number;
  /** Warden's public URL: the `htu` of a proof names it, not the address Warden listens on. */
  readonly publicUrl: string;
  /** A `DPoP` header longer than this is refused unread. */
  readonly maxProofBytes: number;
  readonly now?: () => Date;
}

/** Establishes the principal behind a request's credentials, proof of possession included. */
export type VerifyRequest = (req: Request, credentials: Credentials) => Promise<Principal>;

/**
 * Creates the request verifier: the token is verified (or found in the verified-token cache),
 * then its binding decides what else the request must show.
 *
 * - A DPoP-bound token (`cnf.jkt`) must come under the `DPoP` scheme with a valid proof for this
 *   very request, checked on every request, cache or not (RFC 9449 §7.1). Under `Bearer` it is
 *   refused: otherwise a stolen bound token would work as a plain bearer token.
 * - An unbound token under the `DPoP` scheme is refused, and so is any unbound token from an
 *   issuer configured with `requireDpop`.
 */
export function createRequestVerifier(options: RequestVerifierOptions): VerifyRequest {
  const now = options.now ?? (() => new Date());
  const base = options.publicUrl.replace(/\/+$/, '');

  return async function verifyRequest(req, credentials) {
    const principal = await options.verifyAccessToken(credentials.token);
    const jkt = principal.dpopKeyThumbprint;

    if (jkt === undefined) {
      if (credentials.scheme === 'dpop') {
        throw new WardenError('ERR_DPOP_BINDING', 'access token is not DPoP-bound');
      }
      if (options.issuers.get(principal.issuer)?.policy.requireDpop === true) {
        throw new WardenError('ERR_DPOP_REQUIRED', 'this issuer requires a DPoP-bound token');
      }
      return principal;
    }

    if (credentials.scheme !== 'dpop') {
      const message = 'a DPoP-bound access token must be sent with the DPoP scheme';
      throw new WardenError('ERR_DPOP_BINDING', message);
    }
    await verifyDpopProof({
      ...options.dpop,
      proof: readProof(req, options.maxProofBytes),
      method: req.method,
      url: base + new URL(req.originalUrl, 'http://path.invalid').pathname,
      accessToken: credentials.token,
      jkt,
      clockToleranceSec: options.clockToleranceSec,
      now: now(),
    });
    return principal;
  };
}

// RFC 9449 §4.3 (1): exactly one DPoP header.
function readProof(req: Request, maxBytes: number): string {
  const count = countHeader(req, 'dpop');
  const proof = req.headers['dpop'];
  if (count === 0 || typeof proof !== 'string' || proof.length === 0) {
    throw new WardenError('ERR_DPOP_PROOF_MISSING', 'a DPoP proof is required for this token');
  }
  if (count > 1) throw new WardenError('ERR_DPOP_PROOF_INVALID', 'more than one DPoP header');
  if (proof.length > maxBytes)
    throw new WardenError('ERR_DPOP_PROOF_INVALID', 'DPoP proof is too large');
  return proof;
}
