import { startDevIdp, type DevIdp } from '../devidp/index.js';
import type { WardenConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { CardSource } from '../card/source.js';

/**
 * Starts the configured development IdP, with Warden's public URL as its one resource accepting
 * every scope the card declares, and returns the configuration with that IdP trusted (added to
 * `auth.issuers` when absent). Development only: the IdP itself logs `WARDEN_DEV_IDP`.
 */
export async function startConfiguredDevIdp(
  config: WardenConfig,
  card: CardSource,
  logger: Logger,
): Promise<{ config: WardenConfig; idp: DevIdp }> {
  const resource = config.server.publicUrl;
  const idp = await startDevIdp({
    host: config.devIdp.host,
    port: config.devIdp.port,
    resources: { [resource]: { scopes: Object.keys(card.scopes) } },
    defaultResource: resource,
    logger,
  });

  const listed = config.auth.issuers.some((issuer) => issuer.issuer === idp.issuer);
  const devIssuer = {
    issuer: idp.issuer,
    audience: resource,
    algorithms: ['ES256' as const],
    allowInsecureIssuer: true,
  };
  const issuers = listed ? config.auth.issuers : [...config.auth.issuers, devIssuer];
  return { config: { ...config, auth: { ...config.auth, issuers } }, idp };
}
