import type { Request } from 'express';
import { WardenError } from '../errors.js';

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Reads the access token from `Authorization: Bearer`. Only the header is accepted: RFC 9700 §4.3
 * advises against tokens in query strings, and form-encoded bodies do not occur in A2A.
 *
 * @throws WardenError `ERR_TOKEN_MISSING` when no Bearer credential is present,
 *   `ERR_AUTH_HEADER_TOO_LARGE` over `maxBytes`, `ERR_AUTH_HEADER_MALFORMED` otherwise.
 */
export function readBearerToken(req: Request, maxBytes: number): string {
  const header = req.headers.authorization;
  if (header === undefined || header.length === 0) {
    throw new WardenError('ERR_TOKEN_MISSING', 'an access token is required');
  }

  if (Buffer.byteLength(header) > maxBytes) {
    throw new WardenError(
      'ERR_AUTH_HEADER_TOO_LARGE',
      `Authorization header exceeds ${maxBytes} bytes`,
    );
  }

  if (!/^Bearer\b/i.test(header)) {
    throw new WardenError('ERR_TOKEN_MISSING', 'a Bearer access token is required');
  }

  const match = BEARER.exec(header);
  if (match?.[1] === undefined) {
    throw new WardenError(
      'ERR_AUTH_HEADER_MALFORMED',
      'Authorization header is not a valid Bearer credential',
    );
  }
  return match[1];
}
