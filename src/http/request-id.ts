import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { runWithRequestId } from '../log/request-context.js';

const INCOMING = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id (`X-Request-Id`), reusing a well-formed one from a proxy so logs join
 * up across hops, and echoes it on the response. Handlers read it from `res.locals.requestId`;
 * log lines get it from the request context.
 */
export function assignRequestId(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.header('x-request-id');
  const requestId = incoming !== undefined && INCOMING.test(incoming) ? incoming : randomUUID();

  res.locals['requestId'] = requestId;
  res.setHeader('X-Request-Id', requestId);
  runWithRequestId(requestId, next);
}
