import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig, type WardenConfig } from '../src/config/load.js';
import { JSONRPC_PATH } from '../src/card/build.js';
import { startDevIdp, type DevIdp, type DevIdpClient } from '../src/devidp/index.js';
import { createLogger } from '../src/log/logger.js';
import { createWarden, type Warden } from '../src/server/warden.js';
import echoAgent from '../examples/echo-agent/agent.js';
import { mintTokens } from './mint-tokens.js';
import type { CacheCounters, EchoTexts, RunningTarget } from './target.js';

/** Options for {@link startWardenServer}. */
export interface WardenServerOptions {
  /** The name the figures are reported under. */
  readonly name: string;
  /** `audit.fsync`: whether each audit batch is `fdatasync`ed before the answer. */
  readonly auditFsync: boolean;
  /** How the load drivers choose echo texts for this server. */
  readonly echoTexts: EchoTexts;
  /** How long the minted tokens stay valid; must outlive the whole run. */
  readonly tokenTtlSec: number;
}

/** Agents (dev IdP clients `bench-agent-001` ...), and the distinct tokens spread over them. */
const AGENT_COUNT = 100;
const TOKEN_COUNT = 1000;
const MINT_CONCURRENCY = 8;

const ECHO_SCOPE = 'echo.invoke';

/**
 * High enough never to trip at any rate this machine reaches, so every request pays for the
 * limiter's real bookkeeping (two counters: per agent, and per agent, user and skill) without
 * ever being refused. A 429 in the figures means this is wrong.
 */
const NEVER_TRIPPED = { limit: 1_000_000, windowMs: 60_000 };

/**
 * Decisions are reused for a minute (the schema maximum; the default is 2 s). The echo policy
 * reads no time, so this changes nothing a decision depends on; it makes the two workloads
 * exact: unique texts never hit, repeating texts always do after their first pass, whatever
 * rate the machine reaches. At the default, a repeating decision would expire between two
 * uses whenever a pass over the 100 agents takes more than 2 s.
 */
const DECISION_CACHE = { ttlMs: 60_000, maxEntries: 10_000 };

const REPO = repositoryRoot(import.meta.dirname);

/**
 * Starts a development IdP and Warden serving the echo agent with its whole pipeline, both on
 * 127.0.0.1 and free ports, with a fresh data directory under the OS temp dir (removed on
 * `close`): ES256 tokens, the scope gate, rate limits, Cedar (`policies/echo`) on the skill and
 * the tool, and the audit trail. Then mints the tokens. The IdP's client secrets are well known:
 * bench only.
 */
export async function startWardenServer(options: WardenServerOptions): Promise<RunningTarget> {
  const logger = createLogger({ silent: true });
  const publicUrl = `http://127.0.0.1:${await freePort()}`;
  const clients = benchClients(AGENT_COUNT);
  const idp = await startDevIdp({
    port: 0,
    resources: { [publicUrl]: { scopes: [ECHO_SCOPE] } },
    clients,
    accessTokenTtlSec: options.tokenTtlSec,
    logger,
  });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-'));
  const cleanUp = async () => {
    await idp.close();
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const config = benchConfig(publicUrl, idp, dataDir, options.auditFsync);
    const warden = await createWarden({ config, logger, agent: echoAgent });
    await warden.listen();

    const mintRequest = { clients, count: TOKEN_COUNT, scope: ECHO_SCOPE, resource: publicUrl };
    const minted = await mintTokens(idp, { ...mintRequest, concurrency: MINT_CONCURRENCY });
    const target = {
      name: options.name,
      url: publicUrl + JSONRPC_PATH,
      bearerTokens: minted.tokens,
      echoTexts: options.echoTexts,
      guarded: true,
      tokenMintMs: minted.mintMs,
      agentCount: clients.length,
    };
    const close = async () => {
      await warden.close();
      await cleanUp();
    };
    return { target, readCaches: () => readCaches(warden), close };
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
    limits: {
      requests: NEVER_TRIPPED,
      skills: { echo: { ...NEVER_TRIPPED, key: ['agent', 'user', 'skill'] } },
    },
    policy: {
      schema: path.join(REPO, 'policies/echo/schema.cedarschema'),
      files: [path.join(REPO, 'policies/echo/echo.cedar')],
      cache: DECISION_CACHE,
    },
  });
}

function readCaches(warden: Warden): CacheCounters {
  const { hits, misses } = warden.authStats().tokenCache;
  const decision = warden.policyCacheStats() ?? { hits: 0, misses: 0 };

  return { token: { hits, misses }, decision: { hits: decision.hits, misses: decision.misses } };
}

function benchClients(count: number): DevIdpClient[] {
  return Array.from({ length: count }, (_, index) => {
    const clientId = `bench-agent-${String(index + 1).padStart(3, '0')}`;
    return { clientId, clientSecret: `${clientId}-secret`, scopes: [ECHO_SCOPE] };
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
