import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../log/logger.js';
import { sendProtocolError, type A2aBinding, type ProtocolError } from '../http/protocol-error.js';
import { jsonRpcIdOf } from '../a2a/operation.js';
import type { AuditTrail } from './event.js';

const UNAVAILABLE: ProtocolError = {
  status: 503,
  // Warden's custom codes mirror the HTTP status (-31401, -31403, -31429); limits answer -31503
  // when they cannot be checked, and this is the same condition for the audit trail.
  jsonRpcCode: -31503,
  rpcStatus: 'UNAVAILABLE',
  reason: 'AUDIT_UNAVAILABLE',
  message: 'temporarily unavailable: the audit trail cannot be written',
};

/**
 * Middleware that fails closed when the audit trail cannot be written: 503 (`Retry-After`) before
 * anything else happens. It also covers the request during which the trail fails: the SDK answers
 * a rejected task save in its own shape (a 500 or a JSON-RPC error in a 200), so the answer such a
 * request is about to send is replaced by the same 503 while its headers are still unsent.
 */
export function refuseWithoutAudit(
  audit: AuditTrail,
  binding: A2aBinding,
  logger: Logger,
): RequestHandler {
  const available = () => audit.isAvailable?.() ?? true;
  const log = logger.child({ module: 'audit' });

  return function requireAudit(req: Request, res: Response, next: NextFunction) {
    if (!available()) return refuse(req, res, binding, log);

    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      res.json = json;
      if (available() || res.headersSent) return json(body);
      refuse(req, res, binding, log);
      return res;
    };
    next();
  };
}

function refuse(req: Request, res: Response, binding: A2aBinding, log: Logger): void {
  log.warn('request refused: the audit trail cannot be written', {
    code: 'WARDEN_AUDIT_UNAVAILABLE',
    status: 503,
  });
  res.setHeader('Retry-After', '30');
  sendProtocolError(res, binding, UNAVAILABLE, jsonRpcIdOf(req));
}
