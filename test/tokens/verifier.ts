import { resolveConfig } from '../../src/config/load.js';
import { discoverIssuers } from '../../src/auth/issuers.js';
import { createTokenVerifier } from '../../src/auth/verify-token.js';
import { createLogger } from '../../src/log/logger.js';

const silentLogger = createLogger({ silent: true });

/** A token verifier built straight from an `auth` section, without the HTTP server around it. */
export async function verifierFor(
  auth: Record<string, unknown>,
  options: { now?: () => Date; publicUrl?: string } = {},
) {
  const config = resolveConfig({
    server: { publicUrl: options.publicUrl ?? 'https://agent.example' },
    agentCard: 'unused.yaml',
    agent: { module: 'unused.js' },
    auth,
    cardSigning: { keyFile: 'unused.json' },
  });
  const now = options.now ?? (() => new Date());
  const issuers = await discoverIssuers(config, {
    logger: silentLogger,
    now: () => now().getTime(),
  });
  const verifier = createTokenVerifier({
    issuers,
    clockToleranceSec: config.auth.clockToleranceSec,
    cache: config.auth.tokenCache,
    now,
  });
  return { ...verifier, issuers, config };
}
