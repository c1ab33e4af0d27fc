import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RateLimitRequestHandler, Store } from 'express-rate-limit';
import type { Logger } from '../log/logger.js';
import { principalOf } from '../auth/authenticate.js';
import type { A2aBinding } from '../http/protocol-error.js';
import type { LimitsConfig } from './config.js';
import { ipKey } from './keys.js';
import { buildLimiter, runLimiters } from './limiter.js';
import { refuseOverLimit, type RefusalDeps } from './rejection.js';
import type { StoreFailureHandler } from './store-failure.js';

/** The limiter's name: in headers, logs, audit entries and Redis keys. */
export const UNAUTHENTICATED_LIMITER = 'unauthenticated';

/** What {@link limitUnauthenticated} needs. */
export interface UnauthenticatedOptions extends RefusalDeps {
  readonly config: LimitsConfig['unauthenticated'];
  readonly store: Store;
  readonly onStoreFailure: StoreFailureHandler;
  readonly logger: Logger;
}

/** The per-address limit of traffic that carries no valid token. */
export interface UnauthenticatedLimits {
  /**
   * Counts the request against its address (IPv6: its subnet) and refuses it over the limit,
   * before a token is looked at, so a flood of bad tokens reaches neither the IdP nor the logs.
   * Mounted before `authenticate` and on the public card and metadata routes.
   */
  limit(binding: A2aBinding): RequestHandler;
  /**
   * Mounted after `authenticate`: gives back the count of a request whose token verified, so
   * only public and failed requests use the address's allowance, and removes this limit's headers,
   * which do not apply to authenticated calls.
   */
  readonly forgive: RequestHandler;
}

interface Counted {
  readonly key: string;
  readonly resetTime: Date | undefined;
}

/** Builds the unauthenticated limit from `limits.unauthenticated`. */
export function limitUnauthenticated(options: UnauthenticatedOptions): UnauthenticatedLimits {
  const bindings = new WeakMap<Request, A2aBinding>();
  const counted = new WeakMap<Request, Counted>();
  const log = options.logger.child({ module: 'limits' });
  const limiter = addressLimiter(options, bindings, log);

  return {
    limit: (binding) =>
      async function limitByAddress(req: Request, res: Response, next: NextFunction) {
        bindings.set(req, binding);
        try {
          if ((await runLimiters([limiter], req, res)) === 'refused') return;
        } catch (error) {
          return options.onStoreFailure(error, req, res, next, binding);
        }
        counted.set(req, countOf(req));
        next();
      },

    forgive: function forgiveAuthenticated(req: Request, res: Response, next: NextFunction) {
      const count = counted.get(req);
      if (principalOf(req) !== undefined && count !== undefined) {
        res.removeHeader('RateLimit');
        res.removeHeader('RateLimit-Policy');
        giveBack(options.store, count, log);
      }
      next();
    },
  };
}

function addressLimiter(
  options: UnauthenticatedOptions,
  bindings: WeakMap<Request, A2aBinding>,
  log: Logger,
): RateLimitRequestHandler {
  const warnOfUntrustedProxy = proxyWarning(log);
  const { limit, windowMs, ipv6Subnet } = options.config;

  return buildLimiter({
    name: UNAUTHENTICATED_LIMITER,
    limit,
    windowMs,
    store: options.store,
    keyOf: (req) => {
      warnOfUntrustedProxy(req);
      return ipKey(req.ip, ipv6Subnet);
    },
    refuse: async (req, res, used) => {
      const binding = bindings.get(req) ?? 'rest';
      const address = ipKey(req.ip, ipv6Subnet);
      const refusal = { limiter: UNAUTHENTICATED_LIMITER, limit, windowMs, used, binding, address };
      await refuseOverLimit(req, res, refusal, options);
    },
    logger: options.logger,
  });
}

// Not awaited: an authenticated request should not wait a Redis round trip for a give-back. A count
// whose window already ended is left alone, so a new window never starts below zero.
function giveBack(store: Store, count: Counted, log: Logger): void {
  if (count.resetTime !== undefined && count.resetTime.getTime() <= Date.now()) return;

  Promise.resolve(store.decrement(count.key)).catch((error: unknown) =>
    log.debug('unauthenticated count not given back', { error }),
  );
}

// A request relayed by a proxy Warden was not told to trust is counted against the proxy: every
// caller behind it would share one allowance, and one flood of bad tokens would lock all out.
function proxyWarning(log: Logger): (req: Request) => void {
  let warned = false;

  return (req) => {
    if (warned || req.headers['x-forwarded-for'] === undefined) return;
    if (req.app.get('trust proxy') !== false) return;
    warned = true;
    log.warn('requests arrive through a proxy, but server.trustProxy is unset', {
      code: 'WARDEN_TRUST_PROXY_UNSET',
      detail: 'unauthenticated traffic is limited per proxy address; set server.trustProxy',
    });
  };
}

function countOf(req: Request): Counted {
  const info: unknown = Reflect.get(req, 'rateLimit');
  const key = typeof info === 'object' && info !== null ? Reflect.get(info, 'key') : undefined;
  const reset =
    typeof info === 'object' && info !== null ? Reflect.get(info, 'resetTime') : undefined;
  return { key: String(key), resetTime: reset instanceof Date ? reset : undefined };
}
