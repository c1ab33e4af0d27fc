import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig, type WardenConfig } from '../src/config/load.js';
import { JSONRPC_PATH } from '../src/card/build.js';
import { createLogger } from '../src/log/logger.js';
import { createWarden, type Warden } from '../src/server/warden.js';
import echoAgent from '../examples/echo-agent/agent.js';
import {
  BENCH_AUDIENCE,
  type CacheCounters,
  type EchoTexts,
  type RunningTarget,
} from './target.js';

/** Options for {@link startWardenServer}. */
export interface WardenServerOptions {
  /** The name the figures are reported under. */
  readonly name: string;
  /** `audit.fsync`: whether each audit batch is `fdatasync`ed before the answer. */
  readonly auditFsync: boolean;
  /** How the load drivers choose echo texts for this server. */
  readonly echoTexts: EchoTexts;
  /** The bench IdP (`bench-idp.ts`), which issues tokens for {@link BENCH_AUDIENCE}. */
  readonly issuer: string;
}

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
 * Starts Warden serving the echo agent with its whole pipeline on 127.0.0.1 and a free port, with
 * a fresh data directory under the OS temp dir (removed on `close`): ES256 tokens from the bench
 * IdP, the scope gate, rate limits, Cedar (`policies/echo`) on the skill and on the tool, and the
 * audit trail. The parent adds the tokens to the target it reports.
 */
export async function startWardenServer(options: WardenServerOptions): Promise<RunningTarget> {
  const logger = createLogger({ silent: true });
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-'));
  const removeData = () => rmSync(dataDir, { recursive: true, force: true });

  try {
    const config = benchConfig(port, options, dataDir);
    const warden = await createWarden({ config, logger, agent: echoAgent });
    await warden.listen();

    const target = {
      name: options.name,
      url: `http://127.0.0.1:${port}${JSONRPC_PATH}`,
      bearerTokens: [],
      echoTexts: options.echoTexts,
      secured: true,
      guarded: true,
    };
    const close = async () => {
      await warden.close();
      removeData();
    };
    return { target, readCaches: () => readCaches(warden), close };
  } catch (error) {
    removeData();
    throw error;
  }
}

function benchConfig(port: number, options: WardenServerOptions, dataDir: string): WardenConfig {
  return resolveConfig({
    server: { port, publicUrl: `http://127.0.0.1:${port}`, shutdownGraceMs: 1000 },
    agentCard: path.join(REPO, 'agent-card/echo-agent.yaml'),
    // Unused: the agent is passed to createWarden, which then imports nothing.
    agent: { module: path.join(REPO, 'examples/echo-agent/agent.js') },
    auth: {
      issuers: [
        {
          issuer: options.issuer,
          audience: BENCH_AUDIENCE,
          allowInsecureIssuer: true,
          algorithms: ['ES256'],
        },
      ],
    },
    cardSigning: { keyFile: path.join(dataDir, 'card-key.json'), generateIfMissing: true },
    store: { path: path.join(dataDir, 'warden.db') },
    audit: { fsync: options.auditFsync },
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
