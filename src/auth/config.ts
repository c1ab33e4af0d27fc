import { z } from 'zod';

/**
 * The `auth` section of Warden's configuration: who may call, with which tokens, and how they are
 * checked. Every key is documented in the README's "Configuration" table and its threat-model
 * reason in `docs/tokens.md`; keep the three in step.
 */

/** Asymmetric JWS algorithms only: `none` and HMAC can never be configured (RFC 8725 §3.1-3.2). */
export const jwsAlgorithm = z.enum([
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'Ed25519',
]);

/** A claim name, or a dotted path into nested objects such as `realm_access.roles`. */
const claimPath = z
  .string()
  .regex(/^[^.\s]+(\.[^.\s]+)*$/, 'must be a claim name or a dotted path such as a.b');

const seconds = (min: number, max: number) => z.number().int().min(min).max(max);

/** The identity providers whose token shapes Warden ships a claim mapping for. */
export const claimPreset = z.enum(['rfc9068', 'okta', 'entra', 'keycloak', 'auth0']);

const claimsSchema = z.strictObject({
  /** Claims naming the calling client; the first present wins. */
  agent: z.array(claimPath).nonempty().optional(),
  /** Claims holding granted scopes: a space-separated string or an array of strings; merged. */
  scopes: z.array(claimPath).nonempty().optional(),
  /** Claims holding roles, merged, e.g. `realm_access.roles`. */
  roles: z.array(claimPath).optional(),
  /** Claims holding groups, merged. */
  groups: z.array(claimPath).optional(),
  /** The claim naming the tenant or organisation, e.g. `tid`. */
  tenant: claimPath.optional(),
  /** Claims holding the token's unique id, first present wins, e.g. `jti` or `uti`. */
  tokenId: z.array(claimPath).nonempty().optional(),
});

const keysSchema = z.strictObject({
  /** Keys are refetched once older than this. */
  cacheMaxAgeSec: seconds(10, 86_400).default(600),
  /** Least time between two JWKS fetches, whatever triggers them (unknown `kid`, failures). */
  refetchCooldownSec: seconds(1, 3_600).default(30),
  /** While the IdP is unreachable, known keys keep working this long past `cacheMaxAgeSec`. */
  outageGraceSec: seconds(0, 604_800).default(3_600),
  /** A JWKS fetch is abandoned after this many milliseconds. */
  fetchTimeoutMs: z.number().int().min(100).max(60_000).default(5_000),
});

const delegationSchema = z.strictObject({
  /** The longest RFC 8693 actor chain accepted (nested `act`); 0 refuses delegated tokens. */
  maxDepth: z.number().int().min(0).max(10).default(2),
  /** When set, every actor in the chain must be one of these `sub` values. */
  allowedActors: z.array(z.string().min(1)).optional(),
});

const introspectionSchema = z.strictObject({
  /** Warden's own client at the issuer, used to authenticate to its introspection endpoint. */
  clientId: z.string().min(1),
  /** Its secret; write it as `${ENV_VAR}`, never into the file. */
  clientSecret: z.string().min(1),
  /** An introspection result is reused at most this long (and never past the token's `exp`). */
  cacheMaxSec: seconds(0, 3_600).default(60),
  /** An introspection request is abandoned after this many milliseconds. */
  timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
});

export const issuerSchema = z
  .strictObject({
    /** The issuer identifier; its metadata is discovered at `/.well-known/openid-configuration`. */
    issuer: z.url(),
    /** The `aud` a token must carry; defaults to `server.publicUrl` (RFC 8707). */
    audience: z.string().min(1).optional(),
    /** Accepted JWS algorithms; `none` and HMAC are never accepted. */
    algorithms: z.array(jwsAlgorithm).nonempty().default(['ES256', 'RS256', 'PS256', 'EdDSA']),
    /**
     * Allow an `http:` issuer. Skips transport security for discovery, keys and introspection:
     * use only for a development IdP on loopback.
     */
    allowInsecureIssuer: z.boolean().default(false),
    /** The token shape this IdP issues; sets the claim mapping and `requireAccessTokenType`. */
    preset: claimPreset.default('rfc9068'),
    /**
     * Require the RFC 9068 header `typ: at+jwt`, which is what stops an ID token being used as an
     * access token. Default: true, except for presets whose IdP does not send it.
     */
    requireAccessTokenType: z.boolean().optional(),
    /** Tokens issued (`iat`) longer ago than this are refused, whatever their `exp`. */
    maxTokenAgeSec: seconds(60, 604_800).default(86_400),
    /** `jwt` (verified locally) and/or `opaque` (RFC 7662 introspection). */
    tokenKinds: z
      .array(z.enum(['jwt', 'opaque']))
      .nonempty()
      .default(['jwt']),
    /** Overrides of the preset's claim mapping. */
    claims: claimsSchema.default({}),
    keys: keysSchema.default(keysSchema.parse({})),
    delegation: delegationSchema.default(delegationSchema.parse({})),
    /** Refuse this issuer's tokens unless they are DPoP-bound (RFC 9449). */
    requireDpop: z.boolean().default(false),
    /** Warden's client credentials for introspecting opaque tokens; required with `opaque`. */
    introspection: introspectionSchema.optional(),
  })
  .superRefine((issuer, context) => {
    if (issuer.tokenKinds.includes('opaque') && issuer.introspection === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['introspection'],
        message: 'is required when tokenKinds includes "opaque"',
      });
    }
  });

const replayCacheSchema = z.strictObject({
  /** `memory` for one process; `redis` when several replicas must share the seen `jti`s. */
  store: z.enum(['memory', 'redis']).default('memory'),
  /** Redis URL, e.g. `redis://127.0.0.1:6379`; required for the `redis` store. */
  redisUrl: z.url().optional(),
  /** Prefix of every Redis key the cache writes. */
  keyPrefix: z.string().min(1).default('warden:dpop:'),
  /** Most proofs the memory store remembers; the oldest are forgotten first. */
  maxEntries: z.number().int().min(1_000).max(10_000_000).default(100_000),
});

const dpopSchema = z.strictObject({
  /** JWS algorithms for DPoP proofs (advertised as `dpop_signing_alg_values_supported`). */
  algorithms: z.array(jwsAlgorithm).nonempty().default(['ES256', 'EdDSA', 'Ed25519', 'PS256']),
  /** A proof whose `iat` is older than this is stale. */
  proofMaxAgeSec: seconds(1, 300).default(60),
  /** Require a server-provided nonce in every proof (RFC 9449 §9, `use_dpop_nonce`). */
  requireNonce: z.boolean().default(false),
  /** HMAC secret for nonces, shared by every replica; random per process when absent. */
  nonceSecret: z.string().min(32).optional(),
  /** How long a nonce stays valid. */
  nonceLifetimeSec: seconds(10, 3_600).default(300),
  /** Skills whose calls must carry a DPoP-bound token, whichever issuer issued it. */
  requiredForSkills: z.array(z.string().min(1)).default([]),
  replayCache: replayCacheSchema.default(replayCacheSchema.parse({})),
});

const tokenCacheSchema = z.strictObject({
  /** Most verified tokens remembered; 0 verifies every token on every request. */
  maxEntries: z.number().int().min(0).max(1_000_000).default(10_000),
  /** A verified token is reused at most this long (and never past its `exp`). */
  maxAgeSec: seconds(0, 3_600).default(300),
});

export const authSchema = z
  .strictObject({
    issuers: z.array(issuerSchema).default([]),
    /** Leeway for `exp`/`nbf`/`iat`, in seconds. */
    clockToleranceSec: seconds(0, 300).default(30),
    tokenCache: tokenCacheSchema.default(tokenCacheSchema.parse({})),
    dpop: dpopSchema.default(dpopSchema.parse({})),
    /** `resource_documentation` of the protected-resource metadata; the card's by default. */
    resourceDocumentation: z.url().optional(),
  })
  .superRefine((auth, context) => {
    // An opaque token names no issuer, so it could only be tried at every introspecting issuer in
    // turn, disclosing it to IdPs that did not issue it.
    const opaque = auth.issuers.filter((issuer) => issuer.tokenKinds.includes('opaque'));
    if (opaque.length > 1) {
      context.addIssue({
        code: 'custom',
        path: ['issuers'],
        message: 'at most one issuer may accept opaque tokens (an opaque token names no issuer)',
      });
    }
    const { replayCache } = auth.dpop;
    if (replayCache.store === 'redis' && replayCache.redisUrl === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['dpop', 'replayCache', 'redisUrl'],
        message: 'is required when store is "redis"',
      });
    }
  });

/** The `auth` section as written, after defaults. */
export type AuthConfigInput = z.infer<typeof authSchema>;

/** One trusted issuer as written, after defaults. */
export type IssuerConfigInput = z.infer<typeof issuerSchema>;
