import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { decodeJwt } from 'jose';
import { isWardenError, WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { AuditTrail } from '../audit/event.js';
import type { A2aBinding } from '../http/protocol-error.js';
import { readCredentials } from './credentials.js';
import {
  sendAuthenticationError,
  setChallengeContext,
  type ChallengeContext,
} from './challenge.js';
import type { Principal } from './principal.js';
import type { VerifyRequest } from './verify-request.js';

const principals = new WeakMap<Request, Principal>();

/** The principal `authenticate` established for this request, if any. */
export function principalOf(req: Request): Principal | undefined {
  return principals.get(req);
}

/** Options for {@link authenticate}. */
export interface AuthenticateOptions {
  verifyRequest: VerifyRequest;
  /** How challenges are worded (resource metadata URL, DPoP algorithms and nonces). */
  challenge: Omit<ChallengeContext, 'scheme'>;
  maxAuthorizationHeaderBytes: number;
  binding: A2aBinding;
  audit: AuditTrail;
  logger: Logger;
}

/**
 * Middleware that admits only callers with a valid access token (and, for a DPoP-bound token, a
 * valid proof), before the body is read and before the SDK sees the request (the SDK turns a
 * throwing user builder into a 500). A failure answers 401 (or 400) with an RFC 6750 / RFC 9449
 * challenge and records `token.rejected` with the reason and the token's `jti`, never the token.
 */
export function authenticate(options: AuthenticateOptions): RequestHandler {
  const log = options.logger.child({ module: 'auth' });

  return async function authenticateRequest(req: Request, res: Response, next: NextFunction) {
    let token: string | undefined;
    setChallengeContext(res, { ...options.challenge, scheme: 'bearer' });
    try {
      const credentials = readCredentials(req, options.maxAuthorizationHeaderBytes);
      token = credentials.token;
      setChallengeContext(res, { ...options.challenge, scheme: credentials.scheme });

      principals.set(req, await options.verifyRequest(req, credentials));
      // RFC 9449 §9: a resource server may hand out its next nonce on any response.
      const nonce = options.challenge.dpopNonce;
      if (credentials.scheme === 'dpop' && nonce) res.setHeader('DPoP-Nonce', nonce());
      next();
    } catch (error) {
      const failure = isWardenError(error) ? error : unexpected(error, log);
      const tokenId = tokenIdOf(token);
      log.info('token.rejected', { code: failure.code, reason: failure.message, tokenId });
      await recordRejection(options.audit, failure, tokenId, log);
      sendAuthenticationError(res, options.binding, failure);
    }
  };
}

// Fail closed: anything unforeseen while verifying is an invalid token; the log says why.
function unexpected(error: unknown, log: Logger): WardenError {
  log.error('token verification failed unexpectedly', { error });
  return new WardenError('ERR_TOKEN_MALFORMED', 'access token could not be verified', {
    cause: error,
  });
}

/**
 * The `jti` of a rejected JWT, so a rejection can be matched with the IdP's records. It comes from
 * an unverified token, so only a short printable value is kept; an opaque token has none.
 */
function tokenIdOf(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  try {
    const { jti } = decodeJwt(token);
    return typeof jti === 'string' && /^[\x21-\x7e]{1,128}$/.test(jti) ? jti : undefined;
  } catch {
    return undefined;
  }
}

// The request is refused whatever happens here; a failed audit write is logged, not raised.
async function recordRejection(
  audit: AuditTrail,
  failure: WardenError,
  tokenId: string | undefined,
  log: Logger,
): Promise<void> {
  try {
    await audit.record({
      event: 'token.rejected',
      outcome: failure.code,
      detail: { reason: failure.message, ...(tokenId === undefined ? {} : { tokenId }) },
    });
  } catch (error) {
    log.error('audit write failed', { event: 'token.rejected', error });
  }
}
