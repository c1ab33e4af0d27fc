import type { Response } from 'express';
import { WardenError } from '../errors.js';
import {
  sendProtocolError,
  WARDEN_JSONRPC_CODES,
  type A2aBinding,
} from '../http/protocol-error.js';

/**
 * Answers an authentication failure the way OAuth clients expect (RFC 6750 §3): HTTP 401 with a
 * `WWW-Authenticate: Bearer` challenge naming the error, or 400 `invalid_request` for a malformed
 * request, and the binding's error body. The description is the error's public message, which
 * never contains the token.
 */
export function sendAuthenticationError(res: Response, binding: A2aBinding, error: WardenError) {
  const oauthError = isRequestFault(error) ? 'invalid_request' : 'invalid_token';
  const status = oauthError === 'invalid_request' ? 400 : 401;
  const challenge = error.code === 'ERR_TOKEN_MISSING' ? {} : { error: oauthError };

  res.setHeader(
    'WWW-Authenticate',
    bearerChallenge({ ...challenge, error_description: error.publicMessage }),
  );
  sendProtocolError(res, binding, {
    status,
    jsonRpcCode: WARDEN_JSONRPC_CODES.UNAUTHENTICATED,
    rpcStatus: status === 401 ? 'UNAUTHENTICATED' : 'INVALID_ARGUMENT',
    reason: 'UNAUTHENTICATED',
    message: error.publicMessage,
    metadata: { error: oauthError },
  });
}

/**
 * Answers a token that lacks a scope the operation needs (RFC 6750 §3.1): 403 with
 * `error="insufficient_scope"` and `scope` listing every scope required, so the client can ask its
 * IdP for a token that carries them (a step-up) and retry.
 */
export function sendInsufficientScope(
  res: Response,
  binding: A2aBinding,
  required: readonly string[],
) {
  const scope = required.join(' ');
  const message = `this operation requires scope "${scope}"`;

  res.setHeader(
    'WWW-Authenticate',
    bearerChallenge({ error: 'insufficient_scope', error_description: message, scope }),
  );
  sendProtocolError(res, binding, {
    status: 403,
    jsonRpcCode: WARDEN_JSONRPC_CODES.PERMISSION_DENIED,
    rpcStatus: 'PERMISSION_DENIED',
    reason: 'INSUFFICIENT_SCOPE',
    message,
    metadata: { error: 'insufficient_scope', scope },
  });
}

/**
 * Formats a `Bearer` challenge. RFC 6750 §3 restricts the characters of every attribute value, so
 * characters outside them are dropped rather than escaped.
 */
export function bearerChallenge(attributes: Record<string, string>): string {
  const parts = Object.entries(attributes).map(([key, value]) => `${key}="${quoteSafe(value)}"`);
  return parts.length === 0 ? 'Bearer' : `Bearer ${parts.join(', ')}`;
}

function quoteSafe(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '');
}

function isRequestFault(error: WardenError): boolean {
  return error.code === 'ERR_AUTH_HEADER_TOO_LARGE' || error.code === 'ERR_AUTH_HEADER_MALFORMED';
}
