import { errors, type ResourceServerInfo } from 'oidc-provider';

import type { ResolvedDevIdpOptions } from './options.js';

type ResourceOptions = Pick<ResolvedDevIdpOptions, 'resources' | 'signingAlg'>;

/**
 * Describes the resource server an RFC 8707 resource indicator names, as oidc-provider expects
 * from `getResourceServerInfo`: every token for it is an RFC 9068 JWT whose `aud` is the
 * indicator itself, signed with the configured alg.
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

  return {
    audience: resource,
    scope: scopes.join(' '),
    accessTokenFormat: 'jwt',
    // Without `sign.alg` oidc-provider signs with the clients' ID Token default alg instead.
    jwt: { sign: { alg: options.signingAlg } },
  };
}
