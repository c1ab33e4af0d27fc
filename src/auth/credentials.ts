import type { Request } from 'express';
import { WardenError } from '../errors.js';

/** The credential a request presents: its access token and the scheme it came under. */
export interface Credentials {
  /** `bearer` (RFC 6750) or `dpop` (RFC 9449 §7.1, a token bound to a proof key). */
  readonly scheme: 'bearer' | 'dpop';
  readonly token: string;
}

// RFC 6750 §2.1 and RFC 9449 §7.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" /
// "/" ) *"="
const CREDENTIALS = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Reads the access token from `Authorization: Bearer` or `Authorization: DPoP`. Only the header is
 * accepted: RFC 9700 §4.3.2 forbids access tokens in the query string, form-encoded bodies do not
 * occur in A2A, and RFC 6750 §3.1 makes a request offering more than one a malformed request.
 *
 * @throws WardenError `ERR_TOKEN_MISSING` when no Bearer or DPoP credential is present;
 *   `ERR_TOKEN_IN_QUERY`, `ERR_AUTH_HEADER_DUPLICATE`, `ERR_AUTH_HEADER_TOO_LARGE` or
 *   `ERR_AUTH_HEADER_MALFORMED` for a malformed request (400 `invalid_request`).
 */
export function readCredentials(req: Request, maxBytes: number): Credentials {
  if (queryOf(req).has('access_token')) {
    throw new WardenError('ERR_TOKEN_IN_QUERY', 'access tokens are not accepted in the URL query');
  }
  if (countHeader(req, 'authorization') > 1) {
    throw new WardenError('ERR_AUTH_HEADER_DUPLICATE', 'more than one Authorization header');
  }

  const header = req.headers.authorization;
  if (header === undefined || header.length === 0) {
    throw new WardenError('ERR_TOKEN_MISSING', 'an access token is required');
  }
  if (Buffer.byteLength(header) > maxBytes) {
    const message = `Authorization header exceeds ${maxBytes} bytes`;
    throw new WardenError('ERR_AUTH_HEADER_TOO_LARGE', message);
  }
  if (!/^(Bearer|DPoP)\b/i.test(header)) {
    throw new WardenError('ERR_TOKEN_MISSING', 'a Bearer or DPoP access token is required');
  }

  const match = CREDENTIALS.exec(header);
  if (match?.[1] === undefined || match[2] === undefined) {
    const message = 'Authorization header is not a valid Bearer or DPoP credential';
    throw new WardenError('ERR_AUTH_HEADER_MALFORMED', message);
  }
  return { scheme: match[1].toLowerCase() === 'dpop' ? 'dpop' : 'bearer', token: match[2] };
}

/**
 * How many times a header occurs. Node keeps only the first of several `Authorization` headers in
 * `req.headers`, so a second one would go unseen without counting the raw list.
 */
export function countHeader(req: Request, name: string): number {
  let count = 0;
  for (let index = 0; index < req.rawHeaders.length; index += 2) {
    if (req.rawHeaders[index]?.toLowerCase() === name) count += 1;
  }
  return count;
}

function queryOf(req: Request): URLSearchParams {
  const query = req.originalUrl.indexOf('?');
  return new URLSearchParams(query === -1 ? '' : req.originalUrl.slice(query + 1));
}
