import type { Logger } from 'winston';

import type { DevIdpSigningAlg } from './keys.js';

/** A confidential client registered at the development IdP. */
export interface DevIdpClient {
  clientId: string;
  /** Well-known by design: anyone who reads the configuration can act as this client. */
  clientSecret: string;
  /** Scopes the client may be granted, at any resource that accepts them. */
  scopes: string[];
  /**
   * Roles stated in the client's client-credentials tokens, as the RFC 9068 `roles` claim (e.g.
   * `manager` for an operator who approves held calls). Not put in token-exchange tokens, whose
   * subject is a user.
   */
  roles?: string[];
}

/** Options of {@link startDevIdp}. */
export interface DevIdpOptions {
  /** Loopback host to bind, default '127.0.0.1'. */
  host?: string;
  /** Port; 0 picks a free one. */
  port: number;
  /**
   * Clients; default: peer-agent-a, peer-agent-b, operator, each with secret `<client-id>-secret`
   * and every scope some resource accepts.
   */
  clients?: DevIdpClient[];
  /** Demo users who may be named in token exchange; default ['alice', 'bob']. */
  users?: string[];
  /**
   * Resource servers (RFC 8707 resource indicator URL -> scopes it accepts). Their access tokens
   * are RFC 9068 JWTs, or opaque with `accessTokenFormat: 'opaque'`: those are kept in memory
   * until they expire, so the introspection endpoint (RFC 7662) can answer for them.
   */
  resources: Record<string, { scopes: string[]; accessTokenFormat?: 'jwt' | 'opaque' }>;
  /** Resource used when a token request names none; without it, requests must name one. */
  defaultResource?: string;
  /** Access token lifetime, default 300. */
  accessTokenTtlSec?: number;
  /** JWT signing alg for access tokens: 'ES256' default; also 'RS256', 'EdDSA'. */
  signingAlg?: DevIdpSigningAlg;
  logger: Logger;
}

/** {@link DevIdpOptions} with every default applied and checked. */
export interface ResolvedDevIdpOptions {
  host: string;
  port: number;
  clients: DevIdpClient[];
  users: ReadonlySet<string>;
  resources: ReadonlyMap<string, readonly string[]>;
  /** Resources whose access tokens are opaque. */
  opaqueResources: ReadonlySet<string>;
  defaultResource: string | undefined;
  accessTokenTtlSec: number;
  signingAlg: DevIdpSigningAlg;
}

const DEFAULT_CLIENT_IDS = ['peer-agent-a', 'peer-agent-b', 'operator'];

// The demo's roles: the operator approves held refunds; peer-agent-a may open support tickets.
const DEFAULT_CLIENT_ROLES: Readonly<Record<string, string[]>> = {
  'peer-agent-a': ['ticket_creator'],
  operator: ['manager', 'operator'],
};

/**
 * Applies defaults and fails fast, naming the option, on a configuration the IdP cannot serve.
 */
export function resolveDevIdpOptions(options: DevIdpOptions): ResolvedDevIdpOptions {
  const resources = resolveResources(options.resources);
  const defaultResource = options.defaultResource;
  if (defaultResource !== undefined && !resources.has(defaultResource)) {
    throw new TypeError(`devidp: "defaultResource" must be one of the keys of "resources"`);
  }

  const accessTokenTtlSec = options.accessTokenTtlSec ?? 300;
  if (!Number.isSafeInteger(accessTokenTtlSec) || accessTokenTtlSec <= 0) {
    throw new TypeError('devidp: "accessTokenTtlSec" must be a positive integer');
  }

  return {
    host: options.host ?? '127.0.0.1',
    port: options.port,
    clients: resolveClients(options.clients, resources),
    users: new Set(options.users ?? ['alice', 'bob']),
    resources,
    opaqueResources: new Set(
      Object.entries(options.resources).flatMap(([url, resource]) =>
        resource.accessTokenFormat === 'opaque' ? [url] : [],
      ),
    ),
    defaultResource,
    accessTokenTtlSec,
    signingAlg: options.signingAlg ?? 'ES256',
  };
}

function resolveResources(input: DevIdpOptions['resources']): Map<string, readonly string[]> {
  const resources = new Map(Object.entries(input).map(([url, { scopes }]) => [url, scopes]));
  if (resources.size === 0) {
    throw new TypeError('devidp: "resources" must name at least one resource server');
  }

  // RFC 8707 §2: a resource indicator is an absolute URI without a fragment.
  for (const url of resources.keys()) {
    if (!URL.canParse(url) || url.includes('#')) {
      throw new TypeError(`devidp: "resources" key "${url}" must be an absolute URI without "#"`);
    }
  }

  return resources;
}

function resolveClients(
  clients: DevIdpClient[] | undefined,
  resources: ReadonlyMap<string, readonly string[]>,
): DevIdpClient[] {
  if (clients !== undefined) {
    const ids = new Set(clients.map((client) => client.clientId));
    if (ids.size !== clients.length) {
      throw new TypeError('devidp: "clients" must not repeat a "clientId"');
    }
    return clients;
  }

  // Default clients may be granted every scope some resource accepts; resources still filter.
  const everyScope = [...new Set([...resources.values()].flat())];
  return DEFAULT_CLIENT_IDS.map((clientId) => ({
    clientId,
    clientSecret: `${clientId}-secret`,
    scopes: everyScope,
    roles: DEFAULT_CLIENT_ROLES[clientId] ?? [],
  }));
}
