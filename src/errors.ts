/**
 * Warden's one error type. Every failure Warden raises on purpose is a `WardenError` with a stable
 * `code` that operators can grep for and tests can assert. What the caller is told
 * (`publicMessage`) is kept apart from what operators see (`message` and `cause`, in logs only).
 *
 * Messages never carry a token, secret or credential.
 */
export class WardenError extends Error {
  override readonly name = 'WardenError';

  /** Stable machine-readable code, e.g. `ERR_TOKEN_EXPIRED`. */
  readonly code: WardenErrorCode;

  /** What the remote caller may be told; defaults to `message`. */
  readonly publicMessage: string;

  constructor(
    code: WardenErrorCode,
    message: string,
    options: { cause?: unknown; publicMessage?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.publicMessage = options.publicMessage ?? message;
  }
}

/**
 * The codes Warden's errors carry. Grouped by the part of the pipeline that raises them; a code is
 * never reused for a different meaning once released.
 */
export type WardenErrorCode =
  // configuration and start-up
  | 'ERR_CONFIG_INVALID'
  | 'ERR_CONFIG_FILE'
  | 'ERR_AGENT_CARD_INVALID'
  | 'ERR_AGENT_MISMATCH'
  | 'ERR_ISSUER_DISCOVERY'
  | 'ERR_SIGNING_KEY'
  // authentication (RFC 6750 invalid_request / invalid_token)
  | 'ERR_TOKEN_MISSING'
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_AUTH_HEADER_TOO_LARGE'
  | 'ERR_AUTH_HEADER_MALFORMED'
  | 'ERR_TOKEN_UNKNOWN_ISSUER'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_TOKEN_AUDIENCE'
  | 'ERR_TOKEN_SIGNATURE'
  | 'ERR_TOKEN_ALGORITHM'
  | 'ERR_TOKEN_CLAIMS'
  | 'ERR_TOKEN_KEYS_UNAVAILABLE'
  | 'ERR_TOKEN_TYPE'
  | 'ERR_TOKEN_HEADER'
  | 'ERR_TOKEN_KIND'
  | 'ERR_TOKEN_INACTIVE'
  | 'ERR_TOKEN_INTROSPECTION'
  | 'ERR_TOKEN_DELEGATION'
  | 'ERR_TOKEN_IN_QUERY'
  | 'ERR_AUTH_HEADER_DUPLICATE'
  // proof of possession (RFC 9449 DPoP)
  | 'ERR_DPOP_REQUIRED'
  | 'ERR_DPOP_BINDING'
  | 'ERR_DPOP_PROOF_MISSING'
  | 'ERR_DPOP_PROOF_INVALID'
  | 'ERR_DPOP_PROOF_REPLAYED'
  | 'ERR_DPOP_NONCE'
  | 'ERR_DPOP_REPLAY_UNAVAILABLE'
  // authorization
  | 'ERR_INSUFFICIENT_SCOPE'
  // requests
  | 'ERR_BODY_MALFORMED'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_CONTENT_TYPE'
  | 'ERR_SKILL_UNKNOWN'
  | 'ERR_SKILL_INPUT'
  | 'ERR_SKILL_FAILED'
  | 'ERR_TOOL_UNKNOWN'
  | 'ERR_TOOL_INPUT'
  | 'ERR_TOOL_FAILED'
  // policy (Cedar) and human approval
  | 'ERR_POLICY_INVALID'
  | 'ERR_POLICY_CASES'
  | 'ERR_POLICY_DENIED'
  | 'ERR_APPROVAL_NOT_FOUND'
  | 'ERR_APPROVAL_CONFLICT'
  | 'ERR_APPROVAL_FORBIDDEN'
  | 'ERR_APPROVAL_DENIED'
  | 'ERR_APPROVAL_EXPIRED'
  // rate limits and budgets
  | 'ERR_RATE_LIMITED'
  | 'ERR_BUDGET_EXCEEDED'
  | 'ERR_LIMITS_UNAVAILABLE'
  // audit trail
  | 'ERR_AUDIT_UNAVAILABLE'
  | 'ERR_AUDIT_CORRUPT'
  | 'ERR_AUDIT_LOCKED'
  | 'ERR_AUDIT_FILE'
  | 'ERR_AUDIT_KEY'
  | 'ERR_AUDIT_USAGE';

/** Narrows an unknown thrown value to a `WardenError` with the given code. */
export function isWardenError(error: unknown, code?: WardenErrorCode): error is WardenError {
  return error instanceof WardenError && (code === undefined || error.code === code);
}
