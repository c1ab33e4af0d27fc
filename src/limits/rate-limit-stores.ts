import { createHash } from 'node:crypto';
import { MemoryStore, type Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { LimitsRedis } from './redis.js';

/**
 * Makes one express-rate-limit store per limiter (express-rate-limit refuses to share one between
 * limiters). In memory, each counts for this process alone; in Redis, under
 * `<prefix>rl:<limiter>:`, so every Warden process sharing the prefix shares the count.
 */
export interface RateLimitStores {
  create(limiterName: string): Store;
  /** Stops the memory stores' sweep timers; Redis stores hold nothing to release. */
  close(): void;
}

/** Stores in this process's memory. */
export function memoryStores(): RateLimitStores {
  const created: MemoryStore[] = [];

  return {
    create() {
      const store = new MemoryStore();
      created.push(store);
      return store;
    },
    close: () => created.forEach((store) => store.shutdown()),
  };
}

/** Stores in Redis, through `redis`, under `prefix`. */
export function redisStores(redis: LimitsRedis, prefix: string): RateLimitStores {
  const sendCommand = (...args: string[]) => sendRateLimitCommand(redis, args);

  return {
    create: (limiterName) =>
      new RedisStore({ sendCommand, prefix: `${prefix}rl:${encodeURIComponent(limiterName)}:` }),
    close: () => {},
  };
}

// rate-limit-redis loads its scripts once, when the limiter is created, and keeps the promise: a
// failed load would fail every later check, even after Redis returned. SCRIPT LOAD's answer is the
// script's SHA-1, so while Redis is away it is computed here; the first EVALSHA after Redis
// returns then gets NOSCRIPT, on which rate-limit-redis loads the script again.
async function sendRateLimitCommand(redis: LimitsRedis, args: string[]): Promise<RedisReply> {
  const [command, subcommand, script] = args;
  const isScriptLoad = command === 'SCRIPT' && subcommand === 'LOAD' && script !== undefined;

  try {
    return asReply(await redis.send(args));
  } catch (error) {
    if (isScriptLoad) return createHash('sha1').update(script).digest('hex');
    throw error;
  }
}

function asReply(value: unknown): RedisReply {
  if (Array.isArray(value)) return value.map((item) => asData(item));
  return asData(value);
}

function asData(value: unknown): boolean | number | string {
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
    return value;
  // RESP nil (an absent key) arrives as null; rate-limit-redis reads `false` as "no hits".
  return value === null ? false : String(value);
}
