import type { Request, Response } from 'express';
import { rateLimit, type RateLimitRequestHandler, type Store } from 'express-rate-limit';
import type { Logger } from '../log/logger.js';

/** What {@link buildLimiter} needs besides the rule. */
export interface LimiterOptions {
  /** Named in the `RateLimit` headers and in logs. */
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly store: Store;
  /** The counter key of a request. */
  readonly keyOf: (req: Request) => string;
  /** Answers a refused request; the rate-limit headers are already set. */
  readonly refuse: (req: Request, res: Response, used: number) => Promise<void>;
  readonly logger: Logger;
}

/**
 * One express-rate-limit limiter: a fixed window per key, the IETF draft-8 `RateLimit` and
 * `RateLimit-Policy` headers on every answer (named after the limiter, so a response checked by
 * two limiters carries both policies) and `Retry-After` on a refusal.
 */
export function buildLimiter(options: LimiterOptions): RateLimitRequestHandler {
  const log = options.logger.child({ module: 'rate-limit', limiter: options.name });

  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: headerName(options.name),
    keyGenerator: options.keyOf,
    store: options.store,
    handler: (req, res) => options.refuse(req, res, usedOf(req)),
    logger: {
      warn: (error, message) => log.warn(message ?? 'express-rate-limit warning', { error }),
      error: (error, message) => log.error(message ?? 'express-rate-limit error', { error }),
    },
    // Keys come from `limitKey` and `ipKey`, which applies express-rate-limit's IPv6 subnet
    // keying itself; this check only looks for `req.ip` in the key generator's source text.
    validate: { keyGeneratorIpFallback: false },
  });
}

/** How a chain of limiters ended: every one admitted the request, or one answered it. */
export type LimitOutcome = 'admitted' | 'refused';

/**
 * Runs `limiters` in order until one refuses. Rejects when a limiter's store fails, so the caller
 * chooses between failing closed and failing open.
 */
export async function runLimiters(
  limiters: readonly RateLimitRequestHandler[],
  req: Request,
  res: Response,
): Promise<LimitOutcome> {
  for (const limiter of limiters) {
    let admitted = false;
    let failure: unknown;
    await limiter(req, res, (error?: unknown) => {
      admitted = error === undefined;
      failure = error;
    });

    if (failure !== undefined) throw failure;
    if (!admitted) return 'refused';
  }
  return 'admitted';
}

// express-rate-limit leaves its count on the request for the handler.
function usedOf(req: Request): number {
  const info: unknown = Reflect.get(req, 'rateLimit');
  const used = typeof info === 'object' && info !== null ? Reflect.get(info, 'used') : undefined;
  return typeof used === 'number' ? used : 0;
}

// A draft-8 policy name is a structured-field string: printable ASCII without `"` or `\`.
function headerName(name: string): string {
  return name.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '_');
}
