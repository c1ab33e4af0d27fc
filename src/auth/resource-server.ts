import type { RequestHandler, Router } from 'express';
import { WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { AuditTrail } from '../audit/event.js';
import type { WardenConfig } from '../config/load.js';
import type { CardSource } from '../card/source.js';
import type { CardIssuer } from '../card/build.js';
import type { LoadedAgent } from '../agent/loaded-agent.js';
import type { A2aBinding } from '../http/protocol-error.js';
import type { ReadinessCheck } from '../http/health.js';
import { authenticate } from './authenticate.js';
import type { ChallengeContext } from './challenge.js';
import { discoverIssuers, type TrustedIssuers } from './issuers.js';
import type { KeySetStatus } from './keys/key-set.js';
import {
  resourceMetadataRoutes,
  resourceMetadataUrl,
  type ResourceMetadataInput,
} from './resource-metadata.js';
import type { TokenCacheStats } from './tokens/cache.js';
import { createTokenVerifier } from './verify-token.js';
import { createRequestVerifier, type DpopSettings } from './verify-request.js';
import { createDpopNonces } from './dpop/nonce.js';
import { createMemoryReplayCache, type ReplayCache } from './dpop/replay-cache.js';
import { createRedisReplayCache } from './dpop/redis-replay-cache.js';
import { requireDpopForSkills } from './dpop/skill-requirement.js';

/** What {@link createResourceServer} is built from. */
export interface ResourceServerOptions {
  config: WardenConfig;
  card: CardSource;
  agent: LoadedAgent;
  logger: Logger;
  /** The clock for every token, key and proof check; tests freeze or move it. */
  now?: () => Date;
}

/** Counters and states for metrics: the verified-token cache and each issuer's keys. */
export interface AuthStats {
  readonly tokenCache: TokenCacheStats;
  readonly issuerKeys: Readonly<Record<string, KeySetStatus>>;
}

/** Warden as an OAuth 2.x resource server: everything the pipeline needs from `src/auth`. */
export interface ResourceServer {
  readonly issuers: TrustedIssuers;
  /** The card's view of the issuers and of DPoP. */
  readonly cardSecurity: { issuers: CardIssuer[]; dpopSkills: string[] };
  /** `/.well-known/oauth-protected-resource` (RFC 9728). */
  readonly routes: Router;
  /** The authentication middleware of one binding. */
  authenticate(binding: A2aBinding, audit: AuditTrail): RequestHandler;
  /** After the body is parsed: refuses unbound tokens for skills that require DPoP. */
  requireDpopForSkills(binding: A2aBinding, audit: AuditTrail): RequestHandler;
  readonly readiness: ReadinessCheck[];
  stats(): AuthStats;
  /** Closes the replay cache's connection. */
  close(): Promise<void>;
}

/**
 * Builds the resource server: discovers every issuer and loads its keys, opens the DPoP replay
 * cache, and wires the token verifier (with its cache), the DPoP checks and the challenges.
 * Fails the start on an issuer it cannot discover, an unknown skill in
 * `auth.dpop.requiredForSkills`, or a Redis replay cache it cannot reach.
 */
export async function createResourceServer(
  options: ResourceServerOptions,
): Promise<ResourceServer> {
  const { config, logger } = options;
  const now = options.now ?? (() => new Date());
  const auth = config.auth;
  const dpopSkills = checkDpopSkills(auth.dpop.requiredForSkills, options.agent);

  const issuers = await discoverIssuers(config, { logger, now: () => now().getTime() });
  await prefetchKeys(issuers, logger);
  const replay = await openReplayCache(config, logger, now);
  const dpop = dpopSettings(config, replay, now, logger);

  const verifier = createTokenVerifier({
    issuers,
    clockToleranceSec: auth.clockToleranceSec,
    cache: auth.tokenCache,
    now,
  });
  const verifyRequest = createRequestVerifier({
    verifyAccessToken: verifier.verify,
    issuers,
    dpop,
    clockToleranceSec: auth.clockToleranceSec,
    publicUrl: config.server.publicUrl,
    maxProofBytes: config.server.maxAuthorizationHeaderBytes,
    now,
  });
  const challenge: Omit<ChallengeContext, 'scheme'> = {
    resourceMetadataUrl: resourceMetadataUrl(config.server.publicUrl),
    dpopAlgorithms: dpop.algorithms,
    dpopNonce: dpop.nonces && (() => dpop.nonces?.issue() ?? ''),
  };

  return {
    issuers,
    cardSecurity: { issuers: cardIssuers(issuers), dpopSkills: [...dpopSkills] },
    routes: resourceMetadataRoutes(metadataInput(options, issuers, dpop)),
    authenticate: (binding, audit) =>
      authenticate({
        verifyRequest,
        challenge,
        maxAuthorizationHeaderBytes: config.server.maxAuthorizationHeaderBytes,
        binding,
        audit,
        logger,
      }),
    requireDpopForSkills: (binding, audit) =>
      requireDpopForSkills({
        skills: dpopSkills,
        agentSkills: options.agent.skills,
        binding,
        audit,
        logger,
      }),
    readiness: readinessChecks(issuers, config, replay),
    stats: () => ({
      tokenCache: verifier.cacheStats(),
      issuerKeys: Object.fromEntries(
        [...issuers].map(([iss, issuer]) => [iss, issuer.keys.status()]),
      ),
    }),
    close: () => replay.close(),
  };
}

// RFC 9728 §2, from the configuration and the Agent Card source.
function metadataInput(
  options: ResourceServerOptions,
  issuers: TrustedIssuers,
  dpop: DpopSettings,
): ResourceMetadataInput {
  const { config, card } = options;
  const all = [...issuers.values()];
  return {
    publicUrl: config.server.publicUrl,
    authorizationServers: all.map((issuer) => issuer.config.issuer),
    scopes: Object.keys(card.scopes),
    resourceName: card.name,
    resourceDocumentation: config.auth.resourceDocumentation ?? card.documentationUrl,
    dpopAlgorithms: dpop.algorithms,
    dpopRequired: all.length > 0 && all.every((issuer) => issuer.policy.requireDpop),
  };
}

function checkDpopSkills(skills: readonly string[], agent: LoadedAgent): ReadonlySet<string> {
  const unknown = skills.filter((skill) => !agent.skills.has(skill));
  if (unknown.length > 0) {
    const names = unknown.map((skill) => `"${skill}"`).join(', ');
    const message = `auth.dpop.requiredForSkills: unknown skill ${names}`;
    throw new WardenError('ERR_CONFIG_INVALID', message);
  }
  return new Set(skills);
}

// Loading keys at start means the first request does not pay for it, and /readyz can tell.
async function prefetchKeys(issuers: TrustedIssuers, logger: Logger): Promise<void> {
  for (const issuer of issuers.values()) {
    if (!issuer.policy.acceptsJwt) continue;
    await issuer.keys.reload().catch((error: unknown) => {
      const fields = { code: 'WARDEN_JWKS_UNAVAILABLE', issuer: issuer.config.issuer, error };
      logger.warn('issuer keys not loaded', fields);
    });
  }
}

async function openReplayCache(config: WardenConfig, logger: Logger, now: () => Date) {
  const settings = config.auth.dpop.replayCache;
  if (settings.store === 'memory' || settings.redisUrl === undefined) {
    return createMemoryReplayCache(settings.maxEntries, () => now().getTime());
  }
  const { redisUrl: url, keyPrefix } = settings;
  return createRedisReplayCache({ url, keyPrefix, logger });
}

function dpopSettings(config: WardenConfig, replay: ReplayCache, now: () => Date, logger: Logger) {
  const dpop = config.auth.dpop;
  if (dpop.requireNonce && dpop.nonceSecret === undefined && dpop.replayCache.store === 'redis') {
    // A shared replay cache means several replicas; each would refuse the others' nonces.
    logger.warn('auth.dpop.nonceSecret SHOULD be set when several replicas share a replay cache', {
      code: 'WARDEN_DPOP_NONCE_SECRET',
    });
  }

  const settings: DpopSettings = {
    algorithms: dpop.algorithms,
    proofMaxAgeSec: dpop.proofMaxAgeSec,
    nonces: dpop.requireNonce
      ? createDpopNonces({
          secret: dpop.nonceSecret,
          lifetimeSec: dpop.nonceLifetimeSec,
          now: () => now().getTime(),
        })
      : undefined,
    replay,
  };
  return settings;
}

function readinessChecks(
  issuers: TrustedIssuers,
  config: WardenConfig,
  replay: ReplayCache,
): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [...issuers.values()].map((issuer) => ({
    name: `issuer ${issuer.config.issuer}`,
    check: () => {
      if (!issuer.policy.acceptsJwt) return true;
      const { state } = issuer.keys.status();
      return state === 'degraded' ? 'degraded' : state === 'ok';
    },
  }));
  if (config.auth.dpop.replayCache.store === 'redis') {
    checks.push({ name: 'dpop replay cache', check: () => replay.isAvailable() });
  }
  return checks;
}

function cardIssuers(issuers: TrustedIssuers): CardIssuer[] {
  return [...issuers.values()].map((issuer) => ({
    issuer: issuer.config.issuer,
    discoveryUrl: issuer.discoveryUrl,
    tokenEndpoint: issuer.metadata.token_endpoint ?? '',
    requiresDpop: issuer.policy.requireDpop,
  }));
}
