import express, {
  type ErrorRequestHandler,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { sendProtocolError, type A2aBinding } from './protocol-error.js';

/** Media types A2A requests carry: JSON-RPC uses application/json, HTTP+JSON also a2a+json. */
const JSON_TYPES = ['application/json', 'application/a2a+json'];

/**
 * Parses an A2A request body with a size limit, before the SDK does (the SDK's own parser would
 * then skip it). Failures answer in the binding's format with an HTTP status proxies understand:
 * 415 for another media type, 413 over the limit, 400 for malformed JSON. Nothing reaches the
 * store.
 */
export function parseJsonBody(
  binding: A2aBinding,
  limitBytes: number,
): (RequestHandler | ErrorRequestHandler)[] {
  return [
    requireJsonContentType(binding),
    express.json({ limit: limitBytes, type: JSON_TYPES }),
    bodyErrors(binding),
  ];
}

function requireJsonContentType(binding: A2aBinding): RequestHandler {
  return function checkContentType(req: Request, res: Response, next: NextFunction) {
    if (!hasBody(req) || JSON_TYPES.some((type) => req.is(type) === type)) return next();

    sendProtocolError(res, binding, {
      status: 415,
      jsonRpcCode: -32005,
      rpcStatus: 'INVALID_ARGUMENT',
      reason: 'CONTENT_TYPE_NOT_SUPPORTED',
      message: `Content-Type must be application/json, not "${req.header('content-type') ?? ''}"`,
    });
  };
}

function hasBody(req: Request): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  return req.headers['transfer-encoding'] !== undefined || length > 0;
}

function bodyErrors(binding: A2aBinding): ErrorRequestHandler {
  return function answerBodyError(
    error: unknown,
    _req: Request,
    res: Response,
    next: NextFunction,
  ) {
    const type =
      typeof error === 'object' && error !== null ? Reflect.get(error, 'type') : undefined;
    if (type === 'entity.too.large') {
      sendProtocolError(res, binding, invalidRequest(413, 'request body exceeds the size limit'));
      return;
    }
    if (type === 'entity.parse.failed') {
      sendProtocolError(res, binding, {
        ...invalidRequest(400, 'Invalid JSON payload'),
        jsonRpcCode: -32700,
      });
      return;
    }
    if (type !== undefined) {
      sendProtocolError(res, binding, invalidRequest(400, 'request body could not be read'));
      return;
    }
    next(error);
  };
}

function invalidRequest(status: number, message: string) {
  return {
    status,
    jsonRpcCode: -32600,
    rpcStatus: 'INVALID_ARGUMENT',
    reason: 'INVALID_REQUEST',
    message,
  };
}
