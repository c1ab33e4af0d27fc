import { Router } from 'express';

/**
 * One readiness check: a name and whether it currently passes. `degraded` passes but is reported:
 * the dependency is failing and Warden is coping (an IdP unreachable while its known keys still
 * work), so an operator should look before the coping runs out.
 */
export interface ReadinessCheck {
  readonly name: string;
  check(): boolean | 'degraded';
}

/**
 * `/healthz` answers 200 while the process runs (liveness); `/readyz` answers 200 only when every
 * check passes (issuer metadata and keys loaded, store open) and 503 otherwise, listing each as
 * `ok`, `degraded` or `failing`; the status is `degraded` when any check is.
 */
export function healthRoutes(checks: readonly ReadinessCheck[]): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', (_req, res) => {
    const results = Object.fromEntries(checks.map((c) => [c.name, describeCheck(c.check())]));
    const values = Object.values(results);
    const ready = values.every((r) => r !== 'failing');
    const status = !ready ? 'not ready' : values.includes('degraded') ? 'degraded' : 'ready';
    res.status(ready ? 200 : 503).json({ status, checks: results });
  });

  return router;
}

function describeCheck(result: boolean | 'degraded'): 'ok' | 'degraded' | 'failing' {
  if (result === 'degraded') return 'degraded';
  return result ? 'ok' : 'failing';
}
