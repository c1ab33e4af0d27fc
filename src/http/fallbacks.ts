import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log/logger.js';

/** 404 for any path Warden does not serve. */
export function notFound(req: Request, res: Response): void {
  res.status(404).json({
    error: { code: 404, status: 'NOT_FOUND', message: `no route for ${req.method} ${req.path}` },
  });
}

/**
 * The last error handler: anything unforeseen becomes a generic 500 with the request id, and the
 * detail (with its stack) goes to the log, never to the caller.
 */
export function internalError(logger: Logger) {
  return function answerInternalError(
    error: unknown,
    _req: Request,
    res: Response,
    _next: NextFunction,
  ) {
    logger.error('unhandled error', { requestId: res.locals['requestId'], error });
    if (res.headersSent) return res.end();

    const message = 'internal error';
    res.status(500).json({
      error: { code: 500, status: 'INTERNAL', message, requestId: res.locals['requestId'] },
    });
  };
}
