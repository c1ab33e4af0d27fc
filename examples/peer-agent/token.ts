import * as oidc from 'openid-client';

import { PeerError } from './peer-error.js';

/** RFC 8693 §2.1: the grant type of a token exchange request. */
const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/**
 * The subject token type Warden's DEVELOPMENT IdP accepts in place of a user's own token: the bare
 * demo user name (`alice`, `bob`). A real IdP would take the user's access or ID token instead.
 */
const DEV_USER_TOKEN_TYPE = 'urn:warden:params:oauth:token-type:dev-user';

/** How the peer asks its IdP for an access token to Warden. */
export interface TokenRequest {
  /** The issuer identifier, e.g. `http://127.0.0.1:8081`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes. */
  scope: string;
  /** RFC 8707 resource indicator: Warden's base URL, which becomes the token's `aud`. */
  resource: string;
  /** A demo user to act for by RFC 8693 token exchange; absent: the client acts for itself. */
  onBehalfOf?: string;
}

/**
 * Discovers the issuer and requests an access token: client credentials, or a token exchange
 * naming `onBehalfOf` as the subject. Errors carry the IdP's `error` code, never a credential.
 */
export async function requestAccessToken(request: TokenRequest): Promise<string> {
  const config = await discoverIssuer(request);
  const params = { scope: request.scope, resource: request.resource };

  try {
    const response =
      request.onBehalfOf === undefined
        ? await oidc.clientCredentialsGrant(config, params)
        : await oidc.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT_TYPE, {
            ...params,
            subject_token: request.onBehalfOf,
            subject_token_type: DEV_USER_TOKEN_TYPE,
          });
    return response.access_token;
  } catch (error) {
    throw new PeerError(`token request to ${request.issuer} failed: ${describe(error)}`);
  }
}

async function discoverIssuer(request: TokenRequest): Promise<oidc.Configuration> {
  const issuer = new URL(request.issuer);

  // Plain http is tolerated only for an IdP on this machine (the demo's); anywhere else a token
  // request over http would hand the client secret and the token to the network.
  const execute = isInsecureLoopback(issuer) ? [oidc.allowInsecureRequests] : [];

  try {
    return await oidc.discovery(issuer, request.clientId, request.clientSecret, undefined, {
      execute,
    });
  } catch (error) {
    throw new PeerError(`discovery of ${request.issuer} failed: ${describe(error)}`);
  }
}

function isInsecureLoopback(url: URL): boolean {
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

  return url.protocol === 'http:' && loopback;
}

function describe(error: unknown): string {
  if (error instanceof oidc.ResponseBodyError) {
    const detail = error.error_description ? `: ${error.error_description}` : '';
    return `${error.status} ${error.error}${detail}`;
  }

  return error instanceof Error ? error.message : String(error);
}
