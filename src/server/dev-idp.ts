import { startDevIdp, type DevIdp } from '../devidp/index.js';
import type { WardenConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { CardSource } from '../card/source.js';
import { issuerSchema } from '../auth/config.js';

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
  const operatorScope = config.approvals.operatorScope;
  const idp = await startDevIdp({
    host: config.devIdp.host,
    port: config.devIdp.port,
    resources: { [resource]: { scopes: [...Object.keys(card.scopes), operatorScope] } },
    clients: demoClients(Object.keys(card.scopes), operatorScope),
    defaultResource: resource,
    logger,
  });

  const listed = config.auth.issuers.some((issuer) => issuer.issuer === idp.issuer);
  const devIssuer = {
    ...issuerSchema.parse({ issuer: idp.issuer, algorithms: ['ES256'], allowInsecureIssuer: true }),
    audience: resource,
  };
  const issuers = listed ? config.auth.issuers : [...config.auth.issuers, devIssuer];
  return { config: { ...config, auth: { ...config.auth, issuers } }, idp };
}

// Only the operator may ask for the approvals scope; its `manager` role lets it approve what the
// demo's policies hold (refunds of $50 or more).
function demoClients(cardScopes: string[], operatorScope: string) {
  const client = (clientId: string, scopes: string[], roles: string[]) => ({
    clientId,
    clientSecret: `${clientId}-secret`,
    scopes,
    roles,
  });
  return [
    client('peer-agent-a', cardScopes, ['ticket_creator']),
    client('peer-agent-b', cardScopes, []),
    client('operator', [...cardScopes, operatorScope], ['manager', 'operator']),
  ];
}
