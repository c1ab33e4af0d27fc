import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isWardenError, WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { AuditTrail } from '../audit/event.js';
import type { A2aBinding } from '../http/protocol-error.js';
import { readBearerToken } from './bearer.js';
import { sendAuthenticationError } from './challenge.js';
import type { Principal } from './principal.js';
import type { VerifyAccessToken } from './verify-token.js';

const principals = new WeakMap<Request, Principal>();

/** The principal `authenticate` established for this request, if any. */
export function principalOf(req: Request): Principal | undefined {
  return principals.get(req);
}

/** Options for {@link authenticate}. */
export interface AuthenticateOptions {
  verifyAccessToken: VerifyAccessToken;
  maxAuthorizationHeaderBytes: number;
  binding: A2aBinding;
  audit: AuditTrail;
  logger: Logger;
}

/**
 * Middleware that admits only callers with a valid access token, before the body is read and
 * before the SDK sees the request (the SDK turns a throwing user builder into a 500). A failure
 * answers 401 (or 400) with an RFC 6750 challenge and logs the reason, never the token.
 */
export function authenticate(options: AuthenticateOptions): RequestHandler {
  const log = options.logger.child({ module: 'auth' });

  return async function authenticateRequest(req: Request, res: Response, next: NextFunction) {
    try {
      const token = readBearerToken(req, options.maxAuthorizationHeaderBytes);
      principals.set(req, await options.verifyAccessToken(token));
      next();
    } catch (error) {
      const failure = isWardenError(error) ? error : unexpected(error, log);
      log.info('token.rejected', { code: failure.code, reason: failure.message });
      await recordRejection(options.audit, failure, log);
      sendAuthenticationError(res, options.binding, failure);
    }
  };
}

// Fail closed: anything unforeseen while verifying is an invalid token, and an operator can see why.
function unexpected(error: unknown, log: Logger): WardenError {
  log.error('token verification failed unexpectedly', { error });
  return new WardenError('ERR_TOKEN_MALFORMED', 'access token could not be verified', {
    cause: error,
  });
}

// The request is refused whatever happens here; a failed audit write is logged, not raised.
async function recordRejection(
  audit: AuditTrail,
  failure: WardenError,
  log: Logger,
): Promise<void> {
  try {
    await audit.record({
      event: 'token.rejected',
      outcome: failure.code,
      detail: { reason: failure.message },
    });
  } catch (error) {
    log.error('audit write failed', { event: 'token.rejected', error });
  }
}
