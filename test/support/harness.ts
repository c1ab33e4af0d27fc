import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import {
  ClientFactory,
  JsonRpcTransportFactory,
  RestTransportFactory,
  createAuthenticatingFetchWithRetry,
  type Client,
} from '@a2a-js/sdk/client';
import {
  startDevIdp,
  type DevIdp,
  DEV_USER_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from '../../src/devidp/index.js';
import { resolveConfig, type WardenConfig } from '../../src/config/load.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { createWarden, type Warden } from '../../src/server/warden.js';
import type { AgentDefinition } from '../../src/agent/define.js';
import { createSupportAgent } from '../../examples/support-agent/agent.js';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const SUPPORT_CARD = path.join(REPO, 'agent-card/support-agent.yaml');
export const ALL_SCOPES = [
  'support.profile.read',
  'support.orders.read',
  'support.tickets.write',
  'support.refunds.write',
];
export const silentLogger = createLogger({ silent: true });

/** A free loopback port (the demo owns 8080, so tests never assume one). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** A real oidc-provider IdP that accepts `resources`. */
export async function startIdp(
  resources: string[],
  options: { accessTokenTtlSec?: number; scopes?: string[] } = {},
): Promise<DevIdp> {
  const scopes = options.scopes ?? ALL_SCOPES;
  return startDevIdp({
    port: 0,
    resources: Object.fromEntries(resources.map((r) => [r, { scopes }])),
    ...(options.accessTokenTtlSec ? { accessTokenTtlSec: options.accessTokenTtlSec } : {}),
    logger: silentLogger,
  });
}

/** A running Warden for a test, with its own data directory. */
export interface TestWarden {
  warden: Warden;
  url: string;
  config: WardenConfig;
  dataDir: string;
  close(options?: { keepData?: boolean }): Promise<void>;
}

/** Options for {@link startWarden}. */
export interface StartWardenOptions {
  idp: DevIdp;
  port: number;
  dataDir?: string;
  agentCard?: string;
  agent?: AgentDefinition;
  now?: () => Date;
  overrides?: Record<string, unknown>;
  /** Where Warden logs; silent by default. */
  logger?: Logger;
}

/** Starts Warden with the support agent, trusting `idp`, on `port`. */
export async function startWarden(options: StartWardenOptions): Promise<TestWarden> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'warden-test-'));
  const config = resolveConfig({
    server: { port: options.port },
    agentCard: options.agentCard ?? SUPPORT_CARD,
    agent: { module: 'unused-when-agent-is-given.js' },
    auth: { issuers: [{ issuer: options.idp.issuer, allowInsecureIssuer: true }] },
    cardSigning: { keyFile: path.join(dataDir, 'card-key.json'), generateIfMissing: true },
    store: { path: path.join(dataDir, 'warden.db') },
    ...options.overrides,
  });

  let warden: Warden;
  try {
    warden = await createWarden({
      config,
      logger: options.logger ?? silentLogger,
      agent: options.agent ?? createSupportAgent(),
      ...(options.now ? { now: options.now } : {}),
    });
  } catch (error) {
    // A start that fails leaves nothing behind in the temp dir, unless the test gave its own.
    if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  await warden.listen();

  return {
    warden,
    url: config.server.publicUrl,
    config,
    dataDir,
    async close({ keepData = false } = {}) {
      await warden.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Discovers the IdP as `clientId` (secret `<clientId>-secret`). */
export async function idpClient(idp: DevIdp, clientId: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(idp.issuer), clientId, `${clientId}-secret`, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
}

/** A client-credentials access token for `clientId`, for `resource`. */
export async function clientToken(
  idp: DevIdp,
  clientId: string,
  scopes: string[],
  resource: string,
): Promise<string> {
  const client = await idpClient(idp, clientId);
  const response = await oidc.clientCredentialsGrant(client, { scope: scopes.join(' '), resource });
  return response.access_token;
}

/** An RFC 8693 token for `clientId` acting on behalf of demo user `user`. */
export async function userToken(
  idp: DevIdp,
  clientId: string,
  user: string,
  scopes: string[],
  resource: string,
): Promise<string> {
  const client = await idpClient(idp, clientId);
  const response = await oidc.genericGrantRequest(client, TOKEN_EXCHANGE_GRANT_TYPE, {
    subject_token: user,
    subject_token_type: DEV_USER_TOKEN_TYPE,
    scope: scopes.join(' '),
    resource,
  });
  return response.access_token;
}

/** The official SDK client, over `binding`, sending `token` on every call. */
export async function a2aClient(
  url: string,
  token: string,
  binding: 'JSONRPC' | 'HTTP+JSON' = 'JSONRPC',
): Promise<Client> {
  const fetchImpl = createAuthenticatingFetchWithRetry(fetch, {
    headers: async () => ({ authorization: `Bearer ${token}` }),
    shouldRetryWithHeaders: async () => undefined,
  });
  const transport =
    binding === 'JSONRPC'
      ? new JsonRpcTransportFactory({ fetchImpl })
      : new RestTransportFactory({ fetchImpl });
  const factory = new ClientFactory({ transports: [transport], preferredTransports: [binding] });
  return factory.createFromUrl(url);
}
