import type { Response } from 'express';
import type { WardenError, WardenErrorCode } from '../errors.js';
import {
  sendProtocolError,
  WARDEN_JSONRPC_CODES,
  type A2aBinding,
} from '../http/protocol-error.js';

/** What a challenge on this response should offer; set by `authenticate` for each request. */
export interface ChallengeContext {
  /** The RFC 9728 metadata URL, sent as `resource_metadata` in every challenge. */
  readonly resourceMetadataUrl: string;
  /** DPoP proof algorithms, when DPoP is offered at all (RFC 9449 §7.1 `algs`). */
  readonly dpopAlgorithms: readonly string[] | undefined;
  /** The scheme the request used, so a step-up answers in the same scheme. */
  readonly scheme: 'bearer' | 'dpop';
  /** A fresh server nonce, sent as `DPoP-Nonce` (RFC 9449 §9) when nonces are required. */
  readonly dpopNonce: (() => string) | undefined;
}

const contexts = new WeakMap<Response, ChallengeContext>();

/** Records how challenges on `res` are worded; a response without one gets a bare challenge. */
export function setChallengeContext(res: Response, context: ChallengeContext): void {
  contexts.set(res, context);
}

type OAuthError = 'invalid_request' | 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce';

// RFC 6750 §3.1 and RFC 9449 §7.1, §9: which OAuth error each failure is, and whether it is
// about DPoP (then the challenge is a DPoP one, whatever scheme the request used).
const OAUTH_ERRORS: Partial<Record<WardenErrorCode, [OAuthError, 'dpop' | undefined]>> = {
  ERR_AUTH_HEADER_TOO_LARGE: ['invalid_request', undefined],
  ERR_AUTH_HEADER_MALFORMED: ['invalid_request', undefined],
  ERR_AUTH_HEADER_DUPLICATE: ['invalid_request', undefined],
  ERR_TOKEN_IN_QUERY: ['invalid_request', undefined],
  ERR_DPOP_PROOF_MISSING: ['invalid_dpop_proof', 'dpop'],
  ERR_DPOP_PROOF_INVALID: ['invalid_dpop_proof', 'dpop'],
  ERR_DPOP_PROOF_REPLAYED: ['invalid_dpop_proof', 'dpop'],
  ERR_DPOP_REPLAY_UNAVAILABLE: ['invalid_dpop_proof', 'dpop'],
  ERR_DPOP_NONCE: ['use_dpop_nonce', 'dpop'],
  ERR_DPOP_BINDING: ['invalid_token', 'dpop'],
  ERR_DPOP_REQUIRED: ['invalid_token', 'dpop'],
};

/**
 * Answers an authentication failure the way OAuth clients expect: 401 with a `WWW-Authenticate`
 * challenge naming the error (RFC 6750 §3, or RFC 9449 §7.1 for DPoP), or 400 `invalid_request`
 * for a malformed request; every challenge carries `resource_metadata` (RFC 9728 §5.1). A missing
 * token gets a challenge without an error, offering DPoP too when it is enabled. The description
 * is the error's public message, which never contains the token.
 */
export function sendAuthenticationError(res: Response, binding: A2aBinding, error: WardenError) {
  const context = contexts.get(res);
  const [oauthError, about] = OAUTH_ERRORS[error.code] ?? ['invalid_token', undefined];
  const status = oauthError === 'invalid_request' ? 400 : 401;

  if (error.code === 'ERR_TOKEN_MISSING') {
    res.setHeader('WWW-Authenticate', missingTokenChallenges(context));
  } else {
    const scheme = about ?? context?.scheme ?? 'bearer';
    const attributes = { error: oauthError, error_description: error.publicMessage };
    res.setHeader('WWW-Authenticate', challenge(scheme, attributes, context));
  }
  if (oauthError === 'use_dpop_nonce' && context?.dpopNonce) {
    res.setHeader('DPoP-Nonce', context.dpopNonce());
  }

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
  const context = contexts.get(res);
  const scope = required.join(' ');
  const message = `this operation requires scope "${scope}"`;
  const attributes = { error: 'insufficient_scope', error_description: message, scope };

  res.setHeader('WWW-Authenticate', challenge(context?.scheme ?? 'bearer', attributes, context));
  sendProtocolError(res, binding, {
    status: 403,
    jsonRpcCode: WARDEN_JSONRPC_CODES.PERMISSION_DENIED,
    rpcStatus: 'PERMISSION_DENIED',
    reason: 'INSUFFICIENT_SCOPE',
    message,
    metadata: { error: 'insufficient_scope', scope },
  });
}

function missingTokenChallenges(context: ChallengeContext | undefined): string[] {
  const bearer = challenge('bearer', {}, context);
  return context?.dpopAlgorithms ? [bearer, challenge('dpop', {}, context)] : [bearer];
}

function challenge(
  scheme: 'bearer' | 'dpop',
  attributes: Record<string, string>,
  context: ChallengeContext | undefined,
): string {
  const all: Record<string, string> = { ...attributes };
  if (scheme === 'dpop' && context?.dpopAlgorithms) all['algs'] = context.dpopAlgorithms.join(' ');
  if (context) all['resource_metadata'] = context.resourceMetadataUrl;

  const name = scheme === 'dpop' ? 'DPoP' : 'Bearer';
  const parts = Object.entries(all).map(([key, value]) => `${key}="${quoteSafe(value)}"`);
  return parts.length === 0 ? name : `${name} ${parts.join(', ')}`;
}

// RFC 6750 §3 restricts the characters of every attribute value, so characters outside them are
// dropped rather than escaped.
function quoteSafe(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '');
}
