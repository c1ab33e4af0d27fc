import { startDevIdp, type DevIdpClient } from '../src/devidp/index.js';
import { createLogger } from '../src/log/logger.js';
import { mintTokens } from './mint-tokens.js';
import { BENCH_AUDIENCE, ECHO_SCOPE } from './target.js';

/** The bench's development IdP, running in the parent process. */
export interface BenchIdp {
  readonly issuer: string;
  /** Mints the bench's tokens; may run while the servers start. */
  mint(): Promise<BenchTokens>;
  close(): Promise<void>;
}

/** Client credentials tokens (ES256) for {@link BENCH_AUDIENCE}, round-robin over the agents. */
export interface BenchTokens {
  readonly tokens: readonly string[];
  readonly agentCount: number;
  /** How long minting every token took, in ms. */
  readonly mintMs: number;
}

/** Agents (dev IdP clients `bench-agent-001` ...), and the distinct tokens spread over them. */
const AGENT_COUNT = 100;
const TOKEN_COUNT = 1000;
const MINT_CONCURRENCY = 8;

/**
 * Starts the development IdP (oidc-provider) on 127.0.0.1 with the bench's 100 agents as clients;
 * `mint` gets 1,000 distinct tokens from it, 10 per agent. It runs in the parent process, not
 * beside Warden, so that the RSS and CPU figures of a Warden process are Warden's alone: after
 * minting it only answers each Warden's discovery and key fetch at start. Client secrets are well
 * known: bench only.
 */
export async function startBenchIdp(tokenTtlSec: number): Promise<BenchIdp> {
  const clients = benchClients(AGENT_COUNT);
  const idp = await startDevIdp({
    port: 0,
    resources: { [BENCH_AUDIENCE]: { scopes: [ECHO_SCOPE] } },
    clients,
    accessTokenTtlSec: tokenTtlSec,
    logger: createLogger({ silent: true }),
  });
  const request = { clients, count: TOKEN_COUNT, scope: ECHO_SCOPE, resource: BENCH_AUDIENCE };

  return {
    issuer: idp.issuer,
    mint: async () => ({
      ...(await mintTokens(idp, { ...request, concurrency: MINT_CONCURRENCY })),
      agentCount: clients.length,
    }),
    close: () => idp.close(),
  };
}

function benchClients(count: number): DevIdpClient[] {
  return Array.from({ length: count }, (_, index) => {
    const clientId = `bench-agent-${String(index + 1).padStart(3, '0')}`;
    return { clientId, clientSecret: `${clientId}-secret`, scopes: [ECHO_SCOPE] };
  });
}
