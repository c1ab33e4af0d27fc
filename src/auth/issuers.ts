import * as oidc from 'openid-client';
import { createRemoteJWKSet } from 'jose';
import { WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { IssuerConfig, WardenConfig } from '../config/load.js';

/** An issuer Warden trusts, with its discovered metadata and its key set. */
export interface TrustedIssuer {
  readonly config: IssuerConfig;
  /** The discovery document URL (`/.well-known/openid-configuration`). */
  readonly discoveryUrl: string;
  readonly metadata: oidc.ServerMetadata;
  /** Remote JWKS: fetched on demand and cached by jose. */
  readonly keys: ReturnType<typeof createRemoteJWKSet>;
}

/** Trusted issuers by issuer identifier. */
export type TrustedIssuers = ReadonlyMap<string, TrustedIssuer>;

// A resource server has no client of its own at the IdP until it introspects; discovery still
// wants a client id, and this one is never sent anywhere.
const DISCOVERY_CLIENT_ID = 'warden-resource-server';

/**
 * Discovers every configured issuer (OIDC discovery through openid-client, which also checks that
 * the document's `issuer` equals the configured one) and prepares its JWKS. A failure names the
 * issuer and stops the start: Warden never runs with an issuer it could not verify.
 */
export async function discoverIssuers(
  config: WardenConfig,
  logger: Logger,
): Promise<TrustedIssuers> {
  const entries = await Promise.all(
    config.auth.issuers.map(async (issuerConfig) => {
      const trusted = await discoverIssuer(issuerConfig);
      logger.info('issuer discovered', { issuer: issuerConfig.issuer });
      return [issuerConfig.issuer, trusted] as const;
    }),
  );
  return new Map(entries);
}

async function discoverIssuer(issuerConfig: IssuerConfig): Promise<TrustedIssuer> {
  const issuerUrl = new URL(issuerConfig.issuer);
  const insecure = issuerUrl.protocol === 'http:';
  if (insecure && !issuerConfig.allowInsecureIssuer) {
    throw new WardenError(
      'ERR_CONFIG_INVALID',
      `auth.issuers: ${issuerConfig.issuer} is not https; set allowInsecureIssuer for a development IdP`,
    );
  }

  const options: oidc.DiscoveryRequestOptions = { timeout: 10 };
  if (insecure) options.execute = [oidc.allowInsecureRequests];

  let configuration: oidc.Configuration;
  try {
    configuration = await oidc.discovery(
      issuerUrl,
      DISCOVERY_CLIENT_ID,
      undefined,
      undefined,
      options,
    );
  } catch (cause) {
    const message = `cannot discover issuer ${issuerConfig.issuer}: ${messageOf(cause)}`;
    throw new WardenError('ERR_ISSUER_DISCOVERY', message, { cause });
  }

  return toTrustedIssuer(issuerConfig, configuration.serverMetadata());
}

function toTrustedIssuer(issuerConfig: IssuerConfig, metadata: oidc.ServerMetadata): TrustedIssuer {
  if (metadata.jwks_uri === undefined) {
    throw new WardenError(
      'ERR_ISSUER_DISCOVERY',
      `issuer ${issuerConfig.issuer} publishes no jwks_uri`,
    );
  }

  const discoveryUrl = new URL('.well-known/openid-configuration', withSlash(issuerConfig.issuer));
  return {
    config: issuerConfig,
    discoveryUrl: discoveryUrl.href,
    metadata,
    keys: createRemoteJWKSet(new URL(metadata.jwks_uri)),
  };
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
