import {
  errors,
  type ClientView,
  type GrantContext,
  type Provider,
  type ResourceServer,
} from 'oidc-provider';
import type { Logger } from 'winston';

import type { ResolvedDevIdpOptions } from './options.js';
import { describeResourceServer } from './resource-servers.js';
import {
  ACCESS_TOKEN_TYPE,
  resolveExchangeSubject,
  type ActorClaim,
  type SubjectTokenContext,
} from './subject-token.js';

/** RFC 8693 §2.1: the grant type of a token exchange request. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';

// Parameters outside this list are stripped by oidc-provider before the handler runs, so the
// unsupported ones are listed too: rejecting them beats silently ignoring them.
const PARAMETERS = [
  'subject_token',
  'subject_token_type',
  'requested_token_type',
  'actor_token',
  'actor_token_type',
  'audience',
  'resource',
  'scope',
];

/** What the token exchange grant needs to know about this IdP. */
export interface TokenExchangeContext extends SubjectTokenContext {
  options: Pick<
    ResolvedDevIdpOptions,
    'resources' | 'opaqueResources' | 'signingAlg' | 'defaultResource' | 'accessTokenTtlSec'
  >;
  logger: Logger;
}

interface ExchangeRequest {
  subjectToken: string;
  subjectTokenType: string;
  resource: string | undefined;
  scope: string | undefined;
}

/**
 * Registers the RFC 8693 token exchange grant: the authenticated client trades a subject token for
 * a JWT access token that names the subject as `sub` and the client as the actor in `act`.
 *
 * The subject token is either a demo user name (`urn:warden:params:oauth:token-type:dev-user`,
 * DEVELOPMENT ONLY: it stands in for a user login) or an access token this IdP issued, whose own
 * `act` is nested under the new actor so the whole delegation chain stays visible (§4.1).
 */
export function registerTokenExchange(provider: Provider, context: TokenExchangeContext): void {
  const handler = (ctx: GrantContext) => exchangeToken(provider, context, ctx);

  // RFC 8707 lets `resource` repeat; the handler then rejects more than one.
  provider.registerGrantType(TOKEN_EXCHANGE_GRANT_TYPE, handler, PARAMETERS, ['resource']);
}

async function exchangeToken(
  provider: Provider,
  context: TokenExchangeContext,
  ctx: GrantContext,
): Promise<void> {
  const { client } = ctx.oidc;
  const request = readExchangeRequest(ctx.oidc.params);
  const { options } = context;

  const subject = await resolveExchangeSubject(
    request.subjectToken,
    request.subjectTokenType,
    context,
  );

  const resourceServer = resolveResourceServer(provider, options, request.resource);

  const token = new provider.AccessToken({
    client,
    accountId: subject.sub,
    resourceServer,
    scope: grantScope(request.scope, client, resourceServer.scope),
    gty: TOKEN_EXCHANGE_GRANT_TYPE,
    expiresIn: tokenLifetimeSec(options.accessTokenTtlSec, subject.expiresAt),
    extra: { act: nestActor(client.clientId, subject.act) },
  });
  ctx.oidc.entity('AccessToken', token);
  const accessToken = await token.save();

  context.logger.debug('token.exchanged', {
    clientId: client.clientId,
    aud: resourceServer.identifier(),
  });

  // RFC 8693 §2.2.1
  ctx.body = {
    access_token: accessToken,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: token.expiration,
    scope: token.scope,
  };
}

function readExchangeRequest(params: GrantContext['oidc']['params']): ExchangeRequest {
  const requestedType = params['requested_token_type'];
  if (requestedType !== undefined && requestedType !== ACCESS_TOKEN_TYPE) {
    throw new errors.InvalidRequest('"requested_token_type" must be an access token');
  }
  if (params['actor_token'] !== undefined || params['actor_token_type'] !== undefined) {
    throw new errors.InvalidRequest('"actor_token" is not supported: the client is the actor');
  }
  // RFC 8693 §2.2.2 names invalid_target for targets the server will not issue a token for.
  if (params['audience'] !== undefined) {
    throw new errors.InvalidTarget('"audience" is not supported: use "resource"');
  }

  return {
    subjectToken: readRequiredParam(params, 'subject_token'),
    subjectTokenType: readRequiredParam(params, 'subject_token_type'),
    resource: readSingleResource(params['resource']),
    scope: typeof params['scope'] === 'string' ? params['scope'] : undefined,
  };
}

function readRequiredParam(params: GrantContext['oidc']['params'], name: string): string {
  const value = params[name];
  if (typeof value !== 'string' || value === '') {
    throw new errors.InvalidRequest(`"${name}" is missing`);
  }
  return value;
}

function readSingleResource(resource: string | string[] | undefined): string | undefined {
  if (!Array.isArray(resource)) {
    return resource;
  }
  if (resource.length !== 1) {
    throw new errors.InvalidTarget('only one "resource" is supported for this grant type');
  }
  return resource[0];
}

function resolveResourceServer(
  provider: Provider,
  options: TokenExchangeContext['options'],
  requested: string | undefined,
): ResourceServer {
  const resource = requested ?? options.defaultResource;
  if (resource === undefined) {
    throw new errors.InvalidTarget('"resource" is required: this IdP has no default resource');
  }

  return new provider.ResourceServer(resource, describeResourceServer(options, resource));
}

/**
 * The requested scopes the client may have and the resource accepts; all of those when the
 * request names none (RFC 6749 §3.3 lets the server pick a default).
 */
function grantScope(requested: string | undefined, client: ClientView, resourceScope: string) {
  const clientScopes = new Set(client.scope?.split(' '));
  const allowed = resourceScope.split(' ').filter((scope) => clientScopes.has(scope));

  const wanted = requested === undefined ? allowed : requested.split(' ').filter(Boolean);
  const granted = wanted.filter((scope) => allowed.includes(scope));
  if (granted.length === 0) {
    throw new errors.InvalidScope('no requested scope is allowed for this client and resource');
  }

  return granted.join(' ');
}

/** RFC 8693 §4.1: the current actor on the outside, earlier actors nested inside it. */
function nestActor(clientId: string, previous: ActorClaim | undefined): ActorClaim {
  return previous === undefined ? { sub: clientId } : { sub: clientId, act: previous };
}

/** A delegated token never outlives the subject token it was exchanged for. */
function tokenLifetimeSec(ttlSec: number, subjectExpiresAt: number | undefined): number {
  if (subjectExpiresAt === undefined) {
    return ttlSec;
  }
  const subjectRemainingSec = subjectExpiresAt - Math.floor(Date.now() / 1000);
  return Math.max(1, Math.min(ttlSec, subjectRemainingSec));
}
