import type { Request, Response } from 'express';
import type { Logger } from '../log/logger.js';
import type { AuditTrail } from '../audit/event.js';
import type { Principal } from '../auth/principal.js';
import { rateLimitRejections } from '../metrics/registry.js';
import { jsonRpcIdOf } from '../a2a/operation.js';
import { sendProtocolError, type A2aBinding } from '../http/protocol-error.js';

/**
 * JSON-RPC codes of the limits, chosen like Warden's other custom codes (-31401, -31403): outside
 * JSON-RPC's and A2A's ranges, the HTTP status readable in the last three digits.
 */
export const LIMITS_JSONRPC_CODES = { RATE_LIMITED: -31429, UNAVAILABLE: -31503 } as const;

/** A request a limiter refused. */
export interface RateLimitRefusal {
  /** The limiter's name, e.g. `skill:refunds` or `unauthenticated`. */
  readonly limiter: string;
  readonly limit: number;
  readonly windowMs: number;
  /** Requests counted in this window, this one included. */
  readonly used: number;
  readonly binding: A2aBinding;
  readonly principal?: Principal | undefined;
  readonly skill?: string | undefined;
  /** The unauthenticated caller's address or IPv6 subnet. */
  readonly address?: string | undefined;
}

/** What answering a refusal needs. */
export interface RefusalDeps {
  readonly audit: AuditTrail;
  readonly logger: Logger;
}

/**
 * Answers 429 in the binding's error format (the limiter has set `RateLimit`, `RateLimit-Policy`
 * and `Retry-After`) and records `rate_limit.exceeded`.
 *
 * Only the first refusal of a key in a window is audited (the request that made `used` pass the
 * limit; exactly one request does, even across processes, as Redis counts atomically): a flood of
 * refused requests must not become a flood of audit entries, each synced to disk. The rest are
 * counted in `warden_rate_limit_rejections_total` and logged at debug level.
 */
export async function refuseOverLimit(
  req: Request,
  res: Response,
  refusal: RateLimitRefusal,
  deps: RefusalDeps,
): Promise<void> {
  const retryAfterSec = Number(res.getHeader('Retry-After') ?? 0);
  const first = refusal.used === refusal.limit + 1;
  const rate = `at most ${refusal.limit} requests per ${seconds(refusal.windowMs)}`;

  if (first) await recordRefusal(refusal, retryAfterSec, deps);
  else rateLimitRejections.inc({ limit: refusal.limiter });
  deps.logger.log(first ? 'info' : 'debug', 'rate_limit.exceeded', logFields(refusal));

  sendProtocolError(
    res,
    refusal.binding,
    {
      status: 429,
      jsonRpcCode: LIMITS_JSONRPC_CODES.RATE_LIMITED,
      rpcStatus: 'RESOURCE_EXHAUSTED',
      reason: 'RATE_LIMIT_EXCEEDED',
      message: `rate limit exceeded: ${rate}${scopeOf(refusal)}; retry after ${retryAfterSec} s`,
      metadata: { limit: refusal.limiter, retryAfterSec: String(retryAfterSec) },
    },
    jsonRpcIdOf(req),
  );
}

/**
 * Answers 503 when the limits store cannot be reached and limits fail closed: the request is
 * neither counted nor admitted. `Retry-After: 1`, as the store reconnects within about a second.
 */
export function refuseStoreUnavailable(req: Request, res: Response, binding: A2aBinding): void {
  res.setHeader('Retry-After', '1');
  sendProtocolError(
    res,
    binding,
    {
      status: 503,
      jsonRpcCode: LIMITS_JSONRPC_CODES.UNAVAILABLE,
      rpcStatus: 'UNAVAILABLE',
      reason: 'LIMITS_UNAVAILABLE',
      message: 'rate limits cannot be checked right now; try again shortly',
    },
    jsonRpcIdOf(req),
  );
}

// The request is refused whatever happens here; a failed audit write is logged, not raised.
async function recordRefusal(refusal: RateLimitRefusal, retryAfterSec: number, deps: RefusalDeps) {
  try {
    await deps.audit.record({
      event: 'rate_limit.exceeded',
      principal: refusal.principal,
      skill: refusal.skill,
      decision: 'deny',
      outcome: 'ERR_RATE_LIMITED',
      detail: {
        limit: refusal.limiter,
        max: refusal.limit,
        windowMs: refusal.windowMs,
        retryAfterSec,
        ...(refusal.address === undefined ? {} : { address: refusal.address }),
      },
    });
  } catch (error) {
    deps.logger.error('audit write failed', { event: 'rate_limit.exceeded', error });
  }
}

function logFields(refusal: RateLimitRefusal) {
  const { principal, binding: _binding, ...rest } = refusal;
  return { ...rest, agent: principal?.agent, issuer: principal?.issuer };
}

function scopeOf(refusal: RateLimitRefusal): string {
  if (refusal.skill !== undefined && refusal.limiter.includes('skill:'))
    return ` for skill "${refusal.skill}"`;
  return refusal.principal === undefined ? ' without a valid token' : '';
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
