import { z } from 'zod';
import { auditSchema } from '../audit/config.js';
import { metricsSchema } from '../metrics/config.js';
import { limitsSchema } from '../limits/config.js';
import { authSchema } from '../auth/config.js';
import { policySchema } from '../policy/config.js';
import { approvalsSchema } from '../approvals/config.js';

/**
 * The shape of Warden's YAML configuration. Every key is documented in the README's
 * "Configuration" section; keep the two in step. Relative paths are resolved against the directory
 * of the configuration file, so a config file and what it names can move together.
 */

const port = z.number().int().min(0).max(65_535);

const loopbackHost = z
  .string()
  .refine((host) => ['127.0.0.1', 'localhost', '::1'].includes(host), 'must be a loopback address');

export const serverSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(8080),
    /** The URL peers reach Warden at; the card's interfaces and token audience derive from it. */
    publicUrl: z.url().optional(),
    /** Largest request body accepted, in bytes. */
    bodyLimitBytes: z.number().int().positive().default(1_048_576),
    /** Largest Authorization header accepted, in bytes. */
    maxAuthorizationHeaderBytes: z.number().int().positive().default(8_192),
    /** Milliseconds SIGTERM waits for in-flight requests before closing connections. */
    shutdownGraceMs: z.number().int().nonnegative().default(10_000),
    /**
     * The reverse proxies whose `X-Forwarded-For` names the client: a hop count, or their
     * addresses and subnets (Express `trust proxy`). Unset, the peer address is the client, and
     * behind a proxy every caller would share one unauthenticated rate limit.
     */
    trustProxy: z
      .union([z.number().int().min(1).max(10), z.array(z.string().min(1)).nonempty()])
      .optional(),
  })
  .strict();

// `issuerSchema` and `authSchema` live with the code that enforces them, in src/auth/config.ts.
export { authSchema, issuerSchema } from '../auth/config.js';

export const cardSigningSchema = z
  .object({
    /** A private JWK (JSON) used to sign the Agent Card; its public half is served as a JWKS. */
    keyFile: z.string().min(1),
    /** Create the key when the file is absent (development). */
    generateIfMissing: z.boolean().default(false),
    /** Signature algorithm of a generated key. */
    algorithm: z.enum(['ES256', 'EdDSA', 'RS256']).default('ES256'),
  })
  .strict();

export const storeSchema = z
  .object({
    kind: z.literal('sqlite').default('sqlite'),
    /** SQLite database file. */
    path: z.string().min(1).default('data/warden.db'),
  })
  .strict();

export const devIdpSchema = z
  .object({
    /** Start the development IdP (oidc-provider) inside Warden. Never in production. */
    enabled: z.boolean().default(false),
    host: loopbackHost.default('127.0.0.1'),
    port: port.default(8081),
  })
  .strict();

export const logSchema = z
  .object({
    level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
    format: z.enum(['json', 'pretty']).optional(),
  })
  .strict();

export const configSchema = z
  .object({
    server: serverSchema.default(serverSchema.parse({})),
    /** Path of the Agent Card source (YAML or JSON), usually under `agent-card/`. */
    agentCard: z.string().min(1),
    agent: z
      .object({
        /** An ES module whose default export is the agent (`defineAgent`). */
        module: z.string().min(1),
      })
      .strict(),
    auth: authSchema.default(authSchema.parse({})),
    cardSigning: cardSigningSchema,
    store: storeSchema.default(storeSchema.parse({})),
    devIdp: devIdpSchema.default(devIdpSchema.parse({})),
    log: logSchema.default(logSchema.parse({})),
    audit: auditSchema.default(auditSchema.parse({})),
    metrics: metricsSchema.default(metricsSchema.parse({})),
    /** Rate limits, per-task budgets and their store; see docs/limits.md. */
    limits: limitsSchema.default(limitsSchema.parse({})),
    /** Cedar policy on every skill and tool call; see docs/policy.md. */
    policy: policySchema.optional(),
    /** Human approval of held calls (A2A §7.6); see docs/policy.md. */
    approvals: approvalsSchema.default(approvalsSchema.parse({})),
  })
  .strict();

/** Configuration as written, after defaults. */
export type WardenConfigInput = z.infer<typeof configSchema>;
