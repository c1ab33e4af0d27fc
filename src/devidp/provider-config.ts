import type { JWK } from 'jose';
import { errors } from 'oidc-provider';

import type { DevIdpClient, ResolvedDevIdpOptions } from './options.js';
import { describeResourceServer } from './resource-servers.js';
import { StatelessAdapter } from './stateless-adapter.js';
import { createMemoryAdapter } from './memory-adapter.js';
import { TOKEN_EXCHANGE_GRANT_TYPE } from './token-exchange.js';

/** An access token model as the `extraTokenClaims` hook sees it. */
interface TokenWithExtra {
  extra?: Record<string, unknown>;
  kind?: string;
  clientId?: string;
}

/**
 * Builds the oidc-provider configuration of the development IdP: client credentials and token
 * exchange only, JWT access tokens for every configured resource, introspection on.
 */
export function buildProviderConfiguration(
  options: ResolvedDevIdpOptions,
  signingKey: JWK,
): object {
  return {
    // Opaque tokens must be found again by introspection; JWTs never are.
    adapter: options.opaqueResources.size > 0 ? createMemoryAdapter() : StatelessAdapter,
    clients: options.clients.map(toClientMetadata),
    jwks: { keys: [signingKey] },
    scopes: [...new Set(['openid', ...[...options.resources.values()].flat()])],
    clientDefaults: {
      // The provider checks this against its keystore, which holds only the configured alg.
      id_token_signed_response_alg: options.signingAlg,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Every client here is confidential, so any may introspect (oidc-provider's default policy,
      // stated so it stops printing a notice that it should be changed).
      introspection: { enabled: true, allowedPolicy: () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resolveDefaultResource(options),
        getResourceServerInfo: (_ctx: unknown, resource: string) =>
          describeResourceServer(options, resource),
        useGrantedResource: () => false,
      },
    },
    // oidc-provider overwrites `token.extra` with this hook's result, so echoing it is how claims
    // a grant handler attached (the token exchange's `act`) reach the JWT.
    extraTokenClaims: (_ctx: unknown, token: TokenWithExtra) => ({
      ...token.extra,
      ...clientRolesClaim(options, token),
    }),
    ttl: {
      AccessToken: options.accessTokenTtlSec,
      ClientCredentials: options.accessTokenTtlSec,
    },
    clientBasedCORS: () => false,
  };
}

// A client-credentials token's subject is the client, so the client's roles describe it.
function clientRolesClaim(options: ResolvedDevIdpOptions, token: TokenWithExtra) {
  if (token.kind !== 'ClientCredentials') return {};
  const roles = options.clients.find((client) => client.clientId === token.clientId)?.roles;
  return roles === undefined || roles.length === 0 ? {} : { roles };
}

function toClientMetadata(client: DevIdpClient): Record<string, unknown> {
  return {
    client_id: client.clientId,
    client_secret: client.clientSecret,
    scope: client.scopes.join(' '),
    grant_types: ['client_credentials', TOKEN_EXCHANGE_GRANT_TYPE],
    response_types: [],
    redirect_uris: [],
    // oidc-provider accepts client_secret_post too (openid-client's default for a secret string).
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

function resolveDefaultResource(options: ResolvedDevIdpOptions): string {
  // Without a resource oidc-provider would issue an opaque token no resource server can verify.
  if (options.defaultResource === undefined) {
    throw new errors.InvalidTarget('"resource" is required: this IdP has no default resource');
  }
  return options.defaultResource;
}
