import { createClient } from 'redis';
import { WardenError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { ReplayCache } from './replay-cache.js';

/** Options of {@link createRedisReplayCache}. */
export interface RedisReplayCacheOptions {
  url: string;
  /** Prefix of every key written, e.g. `warden:dpop:`. */
  keyPrefix: string;
  /** A command not answered within this many milliseconds fails (and the proof is refused). */
  commandTimeoutMs?: number;
  logger: Logger;
}

/**
 * The Redis replay cache, shared by every replica: `SET key NX EX ttl` records a proof atomically
 * and says whether it was already there. Commands never queue while Redis is unreachable and time
 * out quickly, so an outage refuses DPoP requests at once (fail closed) instead of hanging them.
 *
 * @throws WardenError `ERR_DPOP_REPLAY_UNAVAILABLE` when Redis cannot be reached at start.
 */
export async function createRedisReplayCache(
  options: RedisReplayCacheOptions,
): Promise<ReplayCache> {
  const log = options.logger.child({ module: 'dpop-replay' });
  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    commandOptions: { timeout: options.commandTimeoutMs ?? 1_000, rejectInFlight: true },
  });
  client.on('error', (error: unknown) => log.warn('redis replay cache error', { error }));

  try {
    await client.connect();
  } catch (cause) {
    const message = 'auth.dpop.replayCache: cannot connect to Redis';
    throw new WardenError('ERR_DPOP_REPLAY_UNAVAILABLE', message, { cause });
  }

  return {
    async remember(key, ttlSec) {
      try {
        const set = await client.set(options.keyPrefix + key, '1', { NX: true, EX: ttlSec });
        return set === 'OK';
      } catch (cause) {
        throw new WardenError('ERR_DPOP_REPLAY_UNAVAILABLE', 'DPoP replay cache unavailable', {
          cause,
          publicMessage: 'DPoP proof could not be checked for replay',
        });
      }
    },
    isAvailable: () => client.isReady,
    async close() {
      if (client.isOpen) await client.close();
    },
  };
}
