import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { resolveConfig, type WardenConfig } from '../src/config/load.js';
import { JSONRPC_PATH } from '../src/card/build.js';
import { startDevIdp, type DevIdp, type DevIdpClient } from '../src/devidp/index.js';
import { createLogger } from '../src/log/logger.js';
import { createWarden } from '../src/server/warden.js';
import echoAgent from '../examples/echo-agent/agent.js';
import type { RunningTarget } from './load.js';

/** Options for {@link startWardenServer}. */
export interface WardenServerOptions {
  /** Distinct access tokens to mint, spread over the bench clients; default 50. */
  readonly tokenCount?: number;
  /** Clients registered at the dev IdP, `bench-agent-01` and on; default 20. */
  readonly clientCount?: number;
  /** `audit.fsync`: whether each audit batch is `fdatasync`ed before the answer; default true. */
  readonly auditFsync?: boolean;
  /** The name the figures are reported under; default `warden`. */
  readonly name?: string;
}

const ECHO_SCOPE = 'echo.invoke';

// Outlives any run `bench/run.ts` accepts, so no token expires mid-measurement.
const TOKEN_TTL_SEC = 3600;

const REPO = repositoryRoot(import.meta.dirname);

/**
 * Starts a development IdP and Warden serving the echo agent, both on 127.0.0.1 and free ports,
 * with a fresh data directory under the OS temp dir (removed on `close`), and mints client
 * credentials tokens for the echo scope. The IdP's client secrets are well known: bench only.
 */
export async function startWardenServer(options: WardenServerOptions = {}): Promise<RunningTarget> {
  const logger = createLogger({ silent: true });
  const publicUrl = `http://127.0.0.1:${await freePort()}`;
  const clients = benchClients(options.clientCount ?? 20);
  const idp = await startDevIdp({
    port: 0,
    resources: { [publicUrl]: { scopes: [ECHO_SCOPE] } },
    clients,
    accessTokenTtlSec: TOKEN_TTL_SEC,
    logger,
  });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-'));
  const cleanUp = async () => {
    await idp.close();
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const config = benchConfig(publicUrl, idp, dataDir, options.auditFsync ?? true);
    const warden = await createWarden({ config, logger, agent: echoAgent });
    await warden.listen();

    const bearerTokens = await mintTokens(idp, clients, options.tokenCount ?? 50, publicUrl);
    const name = options.name ?? 'warden';
    const target = { name, url: publicUrl + JSONRPC_PATH, bearerTokens };
    const close = async () => {
      await warden.close();
      await cleanUp();
    };
    return { target, close };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

function benchConfig(
  publicUrl: string,
  idp: DevIdp,
  dataDir: string,
  auditFsync: boolean,
): WardenConfig {
  return resolveConfig({
    server: { port: Number(new URL(publicUrl).port), shutdownGraceMs: 1000 },
    agentCard: path.join(REPO, 'agent-card/echo-agent.yaml'),
    // Unused: the agent is passed to createWarden, which then imports nothing.
    agent: { module: path.join(REPO, 'examples/echo-agent/agent.js') },
    auth: { issuers: [{ issuer: idp.issuer, allowInsecureIssuer: true, algorithms: ['ES256'] }] },
    cardSigning: { keyFile: path.join(dataDir, 'card-key.json'), generateIfMissing: true },
    store: { path: path.join(dataDir, 'warden.db') },
    audit: { fsync: auditFsync },
  });
}

function benchClients(count: number): DevIdpClient[] {
  return Array.from({ length: count }, (_, index) => {
    const clientId = `bench-agent-${String(index + 1).padStart(2, '0')}`;
    return { clientId, clientSecret: `${clientId}-secret`, scopes: [ECHO_SCOPE] };
  });
}

// Tokens go round the clients, so each client holds several distinct tokens (distinct `jti`).
async function mintTokens(
  idp: DevIdp,
  clients: readonly DevIdpClient[],
  count: number,
  resource: string,
): Promise<string[]> {
  const configurations = await Promise.all(clients.map((client) => discover(idp, client)));

  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const configuration = configurations[index % configurations.length];
      if (configuration === undefined) throw new RangeError('bench: "clientCount" must be >= 1');

      const grant = { scope: ECHO_SCOPE, resource };
      return (await oidc.clientCredentialsGrant(configuration, grant)).access_token;
    }),
  );
}

function discover(idp: DevIdp, client: DevIdpClient): Promise<oidc.Configuration> {
  // The dev IdP speaks plain HTTP on loopback; openid-client refuses that unless told.
  return oidc.discovery(new URL(idp.issuer), client.clientId, client.clientSecret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error('no free port')) : resolve(port)));
    });
  });
}

// `dist/bench/` when compiled, `bench/` under tsx: the agent card lives at the repository root.
function repositoryRoot(dirname: string): string {
  const compiled = path.basename(path.dirname(dirname)) === 'dist';

  return path.resolve(dirname, compiled ? '../..' : '..');
}
