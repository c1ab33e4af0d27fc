import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { Logger } from '../log/logger.js';
import type { AuthStats } from '../auth/resource-server.js';
import { observeAuthStats } from './auth-metrics.js';
import type { MetricsConfig } from './config.js';
import { approvalsPending, collectProcessMetrics, registry } from './registry.js';

/** What {@link metricsRoute} needs. */
export interface MetricsRouteOptions {
  readonly metrics: MetricsConfig;
  /** `server.host`: metrics without a token are only quiet on loopback. */
  readonly host: string;
  /** `src/auth`'s counters (token cache, issuer keys), read at each scrape. */
  readonly authStats?: (() => AuthStats) | undefined;
  /** How many held actions wait for a decision, read at each scrape. */
  readonly pendingApprovals?: (() => Promise<number>) | undefined;
  readonly logger: Logger;
}

/**
 * Serves the registry in the Prometheus text format at `metrics.path`, behind
 * `Authorization: Bearer <metrics.bearerToken>` when one is configured (401 otherwise, with an
 * RFC 6750 challenge). Nothing is mounted when `metrics.enabled` is false.
 */
export function metricsRoute(options: MetricsRouteOptions): Router {
  const { metrics: config, logger } = options;
  const router = Router();
  if (!config.enabled) return router;

  collectProcessMetrics();
  if (options.authStats) observeAuthStats(options.authStats);
  const authorized = bearerCheck(config.bearerToken);
  const log = logger.child({ module: 'metrics' });
  warnIfPublic(options, log);

  router.get(config.path, async (req: Request, res: Response) => {
    if (!authorized(req.header('authorization'))) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      res.status(401).json({
        error: { code: 401, status: 'UNAUTHENTICATED', message: 'bearer token required' },
      });
      return;
    }
    try {
      if (options.pendingApprovals) approvalsPending.set(await options.pendingApprovals());
      const text = await registry.metrics();
      res.type(registry.contentType).send(text);
    } catch (error) {
      log.error('metrics could not be collected', { error });
      res.status(500).json({ error: { code: 500, status: 'INTERNAL', message: 'internal error' } });
    }
  });
  return router;
}

// Digests compared in constant time: neither the token's bytes nor its length leak through timing.
function bearerCheck(token: string | undefined): (header: string | undefined) => boolean {
  if (token === undefined) return () => true;

  const expected = digest(token);
  return (header) => {
    const match = /^Bearer ([^\s]+)$/i.exec(header ?? '');
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function warnIfPublic(options: MetricsRouteOptions, log: Logger): void {
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(options.host);
  if (loopback || options.metrics.bearerToken !== undefined) return;

  log.warn('metrics are served without a bearer token on a non-loopback address', {
    code: 'WARDEN_METRICS_PUBLIC',
    path: options.metrics.path,
    host: options.host,
  });
}
