import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { resolveConfig } from '../src/config/load.js';
import { discoverIssuers } from '../src/auth/issuers.js';
import { createTokenVerifier, type TokenVerifier } from '../src/auth/verify-token.js';
import { createLogger } from '../src/log/logger.js';

/**
 * Token verification cost, in verifications per second on one core: for each signing algorithm,
 * `uncached` runs the whole check (issuer selection, header checks, signature, RFC 9068 claims,
 * claim mapping) on every call, `cached` is a hit in the verified-token cache (a SHA-256 of the
 * token and a map lookup). The issuer is a local HTTP server publishing the key, discovered and
 * fetched as Warden does a real IdP's; its keys are fetched once, before measuring.
 */

const ALGORITHMS = ['ES256', 'RS256', 'EdDSA'] as const;
type Algorithm = (typeof ALGORITHMS)[number];

const AUDIENCE = 'https://bench-agent.example';

/** Options of {@link benchTokens}. */
export interface BenchTokensOptions {
  /** How long each figure is measured, in milliseconds (default 1000). */
  durationMs?: number;
  /** Unmeasured calls before each figure (default 200 ms worth). */
  warmupMs?: number;
}

/**
 * Measures verification throughput per algorithm, cached and uncached.
 *
 * @returns ops/s keyed `<alg> uncached` and `<alg> cached`, e.g. `{ 'ES256 uncached': 9100 }`.
 */
export async function benchTokens(
  options: BenchTokensOptions = {},
): Promise<Record<string, number>> {
  const durationMs = options.durationMs ?? 1_000;
  const warmupMs = options.warmupMs ?? 200;
  const figures: Record<string, number> = {};

  for (const alg of ALGORITHMS) {
    const issuer = await startBenchIssuer(alg);
    try {
      const token = await issuer.mint();
      for (const cached of [false, true]) {
        const verifier = await verifierFor(issuer.url, cached);
        await opsPerSecond(verifier, token, warmupMs);
        figures[`${alg} ${cached ? 'cached' : 'uncached'}`] = await opsPerSecond(
          verifier,
          token,
          durationMs,
        );
      }
    } finally {
      await issuer.close();
    }
  }
  return figures;
}

async function opsPerSecond(verifier: TokenVerifier, token: string, durationMs: number) {
  const started = performance.now();
  let operations = 0;
  while (performance.now() - started < durationMs) {
    // A batch between clock reads keeps the clock out of the cached figure.
    for (let index = 0; index < 100; index += 1) await verifier.verify(token);
    operations += 100;
  }
  return Math.round(operations / ((performance.now() - started) / 1000));
}

async function verifierFor(issuer: string, cached: boolean): Promise<TokenVerifier> {
  const config = resolveConfig({
    server: { publicUrl: AUDIENCE },
    agentCard: 'unused.yaml',
    agent: { module: 'unused.js' },
    auth: {
      issuers: [{ issuer, allowInsecureIssuer: true, algorithms: [...ALGORITHMS] }],
      tokenCache: { maxEntries: cached ? 10_000 : 0 },
    },
    cardSigning: { keyFile: 'unused.json' },
  });
  const issuers = await discoverIssuers(config, { logger: createLogger({ silent: true }) });
  for (const trusted of issuers.values()) await trusted.keys.reload();

  return createTokenVerifier({
    issuers,
    clockToleranceSec: config.auth.clockToleranceSec,
    cache: config.auth.tokenCache,
  });
}

interface BenchIssuer {
  url: string;
  mint(): Promise<string>;
  close(): Promise<void>;
}

async function startBenchIssuer(alg: Algorithm): Promise<BenchIssuer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg, use: 'sig' };
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  server.on('request', (req, res) => {
    const body = req.url === '/jwks' ? { keys: [jwk] } : { issuer: url, jwks_uri: `${url}/jwks` };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });

  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: url, aud: AUDIENCE, sub: 'bench-agent', client_id: 'bench-agent' };
  return {
    url,
    mint: () =>
      new SignJWT({ ...claims, iat: now, exp: now + 3600, jti: 'bench', scope: 'a b c' })
        .setProtectedHeader({ alg, kid: 'bench', typ: 'at+jwt' })
        .sign(privateKey),
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The figures as a table, one algorithm per row. */
export function formatTokenFigures(figures: Record<string, number>): string {
  const rows = ALGORITHMS.map((alg) => {
    const uncached = String(figures[`${alg} uncached`] ?? '').padStart(14);
    const cached = String(figures[`${alg} cached`] ?? '').padStart(14);
    return `${alg.padEnd(8)}${uncached}${cached}`;
  });
  return [
    `${'alg'.padEnd(8)}${'uncached ops/s'.padStart(14)}${'cached ops/s'.padStart(14)}`,
    ...rows,
  ].join('\n');
}

// `node dist/bench/tokens.js` prints the table on its own.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchTokens();
  process.stdout.write(`token verification, one core\n${formatTokenFigures(figures)}\n`);
}
