import { z } from 'zod';

/** The `metrics` section of Warden's configuration (README "Configuration"). */
export const metricsSchema = z
  .object({
    /** Serve Prometheus metrics. */
    enabled: z.boolean().default(true),
    /** Where; must not collide with the A2A routes. */
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]*$/, 'must be an absolute URL path')
      .default('/metrics'),
    /**
     * When set, `/metrics` answers only `Authorization: Bearer <bearerToken>`. Write it as
     * `${WARDEN_METRICS_TOKEN}` rather than into the file. Unset on a non-loopback `server.host`,
     * Warden warns `WARDEN_METRICS_PUBLIC` at start.
     */
    bearerToken: z.string().min(16, 'must be at least 16 characters').optional(),
  })
  .strict();

/** The `metrics` section, after defaults. */
export type MetricsConfig = z.infer<typeof metricsSchema>;
