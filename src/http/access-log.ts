import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log/logger.js';

/** Logs one line per finished request: method, path, status, duration and request id. */
export function logRequests(logger: Logger) {
  const log = logger.child({ module: 'http' });

  return function logRequest(req: Request, res: Response, next: NextFunction): void {
    const started = performance.now();
    // Read now: once routed, Express strips the mount prefix from `req.path`.
    const path = req.originalUrl.split('?', 1)[0];
    res.on('finish', () => {
      log.info('request', {
        requestId: res.locals['requestId'],
        method: req.method,
        path,
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
    });
    next();
  };
}
