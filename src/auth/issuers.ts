import * as oidc from 'openid-client';
import { WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { IssuerConfig, WardenConfig } from '../config/load.js';
import { resolveIssuerPolicy, type IssuerPolicy } from './issuer-policy.js';
import { createIssuerKeySet, type IssuerKeySet } from './keys/key-set.js';

/** An issuer Warden trusts, with its discovered metadata, its key set and its policy. */
export interface TrustedIssuer {
  readonly config: IssuerConfig;
  readonly policy: IssuerPolicy;
  /** The discovery document URL (`/.well-known/openid-configuration`). */
  readonly discoveryUrl: string;
  readonly metadata: oidc.ServerMetadata;
  /** The issuer's JWKS: fetched on demand, cached, rotated (see {@link createIssuerKeySet}). */
  readonly keys: IssuerKeySet;
  /** Warden's own client at the issuer, when it introspects opaque tokens (RFC 7662). */
  readonly introspection: oidc.Configuration | undefined;
}

/** Trusted issuers by issuer identifier. */
export type TrustedIssuers = ReadonlyMap<string, TrustedIssuer>;

/** What {@link discoverIssuers} needs besides the configuration. */
export interface DiscoverOptions {
  logger: Logger;
  /** The clock for key-cache ages, ms since the epoch. */
  now?: () => number;
}

// Discovery wants a client id even where Warden has no client at the IdP; this one is never sent.
const DISCOVERY_CLIENT_ID = 'warden-resource-server';

/**
 * Discovers every configured issuer (OIDC discovery through openid-client, which also checks that
 * the document's `issuer` equals the configured one) and prepares its keys and, for opaque
 * tokens, its introspection client. A failure names the issuer and stops the start: Warden never
 * runs with an issuer it could not verify.
 */
export async function discoverIssuers(
  config: WardenConfig,
  options: DiscoverOptions,
): Promise<TrustedIssuers> {
  const entries = await Promise.all(
    config.auth.issuers.map(async (issuerConfig) => {
      const trusted = await discoverIssuer(issuerConfig, options);
      options.logger.info('issuer discovered', { issuer: issuerConfig.issuer });
      return [issuerConfig.issuer, trusted] as const;
    }),
  );
  return new Map(entries);
}

async function discoverIssuer(config: IssuerConfig, options: DiscoverOptions) {
  const policy = resolveIssuerPolicy(config);
  const issuerUrl = new URL(config.issuer);
  requireSecure(issuerUrl, policy, 'issuer');

  const metadata = await fetchMetadata(issuerUrl, policy);
  return {
    config,
    policy,
    discoveryUrl: new URL('.well-known/openid-configuration', withSlash(config.issuer)).href,
    metadata,
    keys: createKeySet(metadata, policy, options),
    introspection: policy.acceptsOpaque ? introspectionClient(metadata, policy) : undefined,
  };
}

async function fetchMetadata(issuerUrl: URL, policy: IssuerPolicy): Promise<oidc.ServerMetadata> {
  const options: oidc.DiscoveryRequestOptions = { timeout: 10 };
  if (policy.allowInsecureIssuer) options.execute = [oidc.allowInsecureRequests];

  try {
    const found = await oidc.discovery(
      issuerUrl,
      DISCOVERY_CLIENT_ID,
      undefined,
      undefined,
      options,
    );
    return found.serverMetadata();
  } catch (cause) {
    const message = `cannot discover issuer ${policy.issuer}: ${messageOf(cause)}`;
    throw new WardenError('ERR_ISSUER_DISCOVERY', message, { cause });
  }
}

function createKeySet(
  metadata: oidc.ServerMetadata,
  policy: IssuerPolicy,
  options: DiscoverOptions,
) {
  if (metadata.jwks_uri === undefined && policy.acceptsJwt) {
    throw discoveryError(policy, 'publishes no jwks_uri');
  }

  // An issuer accepting only opaque tokens still gets a key set; it is never asked for a key.
  const jwksUri = new URL(metadata.jwks_uri ?? new URL('/jwks', policy.issuer).href);
  if (policy.acceptsJwt) requireSecure(jwksUri, policy, 'jwks_uri');
  const keys = policy.keys;
  return createIssuerKeySet({
    jwksUri,
    cacheMaxAgeMs: keys.cacheMaxAgeSec * 1000,
    refetchCooldownMs: keys.refetchCooldownSec * 1000,
    outageGraceMs: keys.outageGraceSec * 1000,
    fetchTimeoutMs: keys.fetchTimeoutMs,
    logger: options.logger.child({ issuer: policy.issuer }),
    ...(options.now ? { now: options.now } : {}),
  });
}

function introspectionClient(metadata: oidc.ServerMetadata, policy: IssuerPolicy) {
  const credentials = policy.introspection;
  if (metadata.introspection_endpoint === undefined || credentials === undefined) {
    throw discoveryError(policy, 'publishes no introspection_endpoint for opaque tokens');
  }
  requireSecure(new URL(metadata.introspection_endpoint), policy, 'introspection_endpoint');

  // client_secret_basic: the one method RFC 6749 §2.3.1 requires every server to support.
  const { clientId, clientSecret, timeoutMs } = credentials;
  const auth = oidc.ClientSecretBasic(clientSecret);
  const client = new oidc.Configuration(metadata, clientId, clientSecret, auth);
  client.timeout = Math.ceil(timeoutMs / 1000);
  if (policy.allowInsecureIssuer) oidc.allowInsecureRequests(client);
  return client;
}

function requireSecure(url: URL, policy: IssuerPolicy, what: string): void {
  if (url.protocol === 'https:' || (url.protocol === 'http:' && policy.allowInsecureIssuer)) return;
  throw new WardenError(
    'ERR_CONFIG_INVALID',
    `auth.issuers: ${what} ${url.href} of ${policy.issuer} is not https; ` +
      'set allowInsecureIssuer for a development IdP',
  );
}

function discoveryError(policy: IssuerPolicy, problem: string): WardenError {
  return new WardenError('ERR_ISSUER_DISCOVERY', `issuer ${policy.issuer} ${problem}`);
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
