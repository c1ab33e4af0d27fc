import { errors, type ResourceServerInfo } from 'oidc-provider';

import type { ResolvedDevIdpOptions } from './options.js';

type ResourceOptions = Pick<ResolvedDevIdpOptions, 'resources' | 'opaqueResources' | 'signingAlg'>;

/**
 * Describes the resource server an RFC 8707 resource indicator names, as oidc-provider expects
 * from `getResourceServerInfo`: every token for it is an RFC 9068 JWT whose `aud` is the
 * indicator itself, signed with the configured alg, or an opaque token when so configured.
 *
 * @throws `invalid_target` when the indicator is not one of the configured resources.
 */
export function describeResourceServer(
  options: ResourceOptions,
  resource: string,
): ResourceServerInfo {
  const scopes = options.resources.get(resource);
  if (scopes === undefined) {
    throw new errors.InvalidTarget('resource indicator is unknown');
  }

  if (options.opaqueResources.has(resource)) {
    return { audience: resource, scope: scopes.join(' '), accessTokenFormat: 'opaque' };
  }

  return {
    audience: resource,
    scope: scopes.join(' '),
    accessTokenFormat: 'jwt',
    // Without `sign.alg` oidc-provider signs with the clients' ID Token default alg instead.
    jwt: { sign: { alg: options.signingAlg } },
  };
}
