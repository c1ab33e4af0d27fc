import { Router } from 'express';

/** One readiness check: a name and whether it currently passes. */
export interface ReadinessCheck {
  readonly name: string;
  check(): boolean;
}

/**
 * `/healthz` answers 200 while the process runs (liveness); `/readyz` answers 200 only when every
 * check passes (issuer metadata and keys loaded, store open) and 503 otherwise, listing each.
 */
export function healthRoutes(checks: readonly ReadinessCheck[]): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', (_req, res) => {
    const results = Object.fromEntries(checks.map((c) => [c.name, c.check() ? 'ok' : 'failing']));
    const ready = Object.values(results).every((r) => r === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
  });

  return router;
}
