import type { NextFunction, Request, Response } from 'express';
import { isWardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { A2aBinding } from '../http/protocol-error.js';
import { refuseStoreUnavailable } from './rejection.js';

/** Decides what happens to a request whose limits could not be checked. */
export type StoreFailureHandler = (
  error: unknown,
  req: Request,
  res: Response,
  next: NextFunction,
  binding: A2aBinding,
) => void;

/**
 * Fails closed (503) when the limits store is unreachable, or, with `failOpen`, admits the request
 * unchecked. Anything other than an unreachable store is a fault, passed on as a 500. The outage
 * itself is logged once by the Redis connection; each request here only at debug level.
 */
export function handleStoreFailure(failOpen: boolean, logger: Logger): StoreFailureHandler {
  const log = logger.child({ module: 'limits' });

  return function onStoreFailure(error, req, res, next, binding) {
    if (!isWardenError(error, 'ERR_LIMITS_UNAVAILABLE')) return next(error);

    log.debug(failOpen ? 'limits skipped (fail open)' : 'limits unavailable; refused', {
      code: error.code,
    });
    if (failOpen) return next();
    refuseStoreUnavailable(req, res, binding);
  };
}
