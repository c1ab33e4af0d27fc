import { AgentCard } from '@a2a-js/sdk';
import * as oidc from 'openid-client';
import { WardenError, type WardenErrorCode } from '../errors.js';

/** How the CLI reaches the approvals API and gets its token. */
export interface ApprovalsClientOptions {
  /** Warden's base URL (also the token's `resource`, RFC 8707). */
  readonly url: string;
  /** A ready access token; otherwise one is got by client credentials. */
  readonly token?: string | undefined;
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
  /** The issuer; by default the one Warden's Agent Card names. */
  readonly issuer?: string | undefined;
  /** The operator scope to ask for. */
  readonly scope: string;
}

/** One call to the approvals API: path under `/approvals`, and a JSON body for POST. */
export type ApprovalsRequest = (path: string, body?: unknown) => Promise<Record<string, unknown>>;

const DISCOVERY_SUFFIX = '/.well-known/openid-configuration';

/**
 * A client of `/approvals`. The CLI talks to the running server rather than to its database: the
 * server is what wakes the run waiting on an approval, checks the operator's scope and role and
 * that they are not the requester, and writes the audit entry; a direct database write would do
 * none of that. The token comes from `token`, or by client credentials at the issuer the Agent
 * Card names. A plain-HTTP issuer is accepted on loopback only (the development IdP).
 */
export async function createApprovalsClient(
  options: ApprovalsClientOptions,
): Promise<ApprovalsRequest> {
  const token = options.token ?? (await clientCredentialsToken(options));
  const base = `${options.url.replace(/\/+$/, '')}/approvals`;

  return async (path, body) => {
    const response = await fetch(base + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).catch((cause: unknown) => {
      throw new WardenError('ERR_APPROVAL_CONFLICT', `cannot reach ${base}`, { cause });
    });
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) throw apiError(response.status, json);
    return json;
  };
}

async function clientCredentialsToken(options: ApprovalsClientOptions): Promise<string> {
  if (options.clientId === undefined || options.clientSecret === undefined) {
    throw new WardenError(
      'ERR_APPROVAL_FORBIDDEN',
      'no credentials: set WARDEN_TOKEN, or --client-id with WARDEN_CLIENT_SECRET',
    );
  }
  const issuer = new URL(options.issuer ?? (await issuerFromCard(options.url)));
  const execute = isLoopback(issuer) ? [oidc.allowInsecureRequests] : [];
  try {
    const { clientId, clientSecret } = options;
    const configuration = await oidc.discovery(issuer, clientId, clientSecret, undefined, {
      execute,
    });
    const request = { scope: options.scope, resource: options.url };
    return (await oidc.clientCredentialsGrant(configuration, request)).access_token;
  } catch (cause) {
    const message = `${issuer.href} refused a token: ${oauthReason(cause)}`;
    throw new WardenError('ERR_APPROVAL_FORBIDDEN', message, { cause });
  }
}

// oauth4webapi's errors carry the RFC 6749 `error` and `error_description` of the IdP's answer.
function oauthReason(error: unknown): string {
  const field = (name: string) =>
    typeof error === 'object' && error !== null ? Reflect.get(error, name) : undefined;
  const code = field('error');
  const description = field('error_description');
  if (typeof code !== 'string') return error instanceof Error ? error.message : String(error);
  return typeof description === 'string' ? `${code} (${description})` : code;
}

async function issuerFromCard(url: string): Promise<string> {
  const response = await fetch(new URL('/.well-known/agent-card.json', url));
  if (!response.ok)
    throw new WardenError('ERR_APPROVAL_CONFLICT', `cannot read the Agent Card at ${url}`);

  const card = AgentCard.fromJSON(await response.json());
  for (const scheme of Object.values(card.securitySchemes)) {
    if (scheme.scheme?.$case !== 'openIdConnectSecurityScheme') continue;
    const discoveryUrl = scheme.scheme.value.openIdConnectUrl;
    if (discoveryUrl.endsWith(DISCOVERY_SUFFIX))
      return discoveryUrl.slice(0, -DISCOVERY_SUFFIX.length);
  }
  throw new WardenError(
    'ERR_APPROVAL_CONFLICT',
    'the Agent Card names no OpenID Connect issuer; pass --issuer',
  );
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

const CODES: Record<number, WardenErrorCode> = {
  401: 'ERR_APPROVAL_FORBIDDEN',
  403: 'ERR_APPROVAL_FORBIDDEN',
  404: 'ERR_APPROVAL_NOT_FOUND',
  409: 'ERR_APPROVAL_CONFLICT',
};

function apiError(status: number, body: Record<string, unknown>): WardenError {
  const error = body['error'];
  const message =
    typeof error === 'object' && error !== null ? Reflect.get(error, 'message') : undefined;
  const text = typeof message === 'string' ? message : `HTTP ${status}`;
  return new WardenError(CODES[status] ?? 'ERR_APPROVAL_CONFLICT', `${text} (HTTP ${status})`);
}
