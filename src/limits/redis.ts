import { createClient, ErrorReply } from 'redis';
import { WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { RedisConfig } from './config.js';

/** Reconnection backs off from this delay, doubling ... */
const RECONNECT_FIRST_DELAY_MS = 50;
/** ... up to this one, so Warden notices a returning Redis within about a second. */
const RECONNECT_MAX_DELAY_MS = 1_000;

/**
 * The one Redis connection of the limits: rate-limit counters and budgets. Built to fail closed
 * fast: a command is refused at once while disconnected (no offline queue that would hold a
 * request for seconds) and times out after `commandTimeoutMs` when Redis hangs. It reconnects by
 * itself, forever, so Warden recovers when Redis returns.
 */
export interface LimitsRedis {
  /** Sends one command; rejects with `ERR_LIMITS_UNAVAILABLE` when Redis is down or slow. */
  send(args: readonly string[]): Promise<unknown>;
  /** Connected and ready for commands. */
  isReady(): boolean;
  close(): Promise<void>;
}

/**
 * Connects to Redis, waiting at most `connectTimeoutMs` for the first connection. Warden starts
 * even when Redis is down then: limits fail closed (or open, if so configured) and `/readyz`
 * reports the store until it connects.
 */
export async function connectLimitsRedis(
  config: RedisConfig,
  logger: Logger,
): Promise<LimitsRedis> {
  const log = logger.child({ module: 'limits-redis' });
  const client = createClient({
    url: config.url,
    // Commands fail at once while disconnected instead of queueing until Redis returns.
    disableOfflineQueue: true,
    socket: { connectTimeout: config.connectTimeoutMs, reconnectStrategy: reconnectDelay },
    // A command already sent to a hung Redis is abandoned too (`rejectInFlight`); it may still
    // run on the server, which at worst counts a request that was refused.
    commandOptions: { timeout: config.commandTimeoutMs, rejectInFlight: true },
  });
  watchConnection(client, log);

  // `connect` settles only once connected (or when closed): it retries by itself meanwhile.
  const connected = client.connect().then(
    () => true,
    () => false,
  );
  if (!(await withinMs(connected, config.connectTimeoutMs))) {
    log.error('limits store unreachable at start; limits fail closed until it connects', {
      code: 'WARDEN_LIMITS_STORE_DOWN',
    });
  }
  return wrap(client, log);
}

/** The part of a node-redis client used here. */
interface Client {
  readonly isReady: boolean;
  readonly isOpen: boolean;
  sendCommand(args: string[]): Promise<unknown>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  destroy(): void;
}

function wrap(client: Client, log: Logger): LimitsRedis {
  return {
    async send(args) {
      try {
        return await client.sendCommand([...args]);
      } catch (cause) {
        // rate-limit-redis and the budget script reload a script Redis forgot (after a restart).
        if (isNoScript(cause)) throw cause;
        log.debug('limits store command failed', { error: cause });
        throw new WardenError('ERR_LIMITS_UNAVAILABLE', 'limits store unavailable', { cause });
      }
    },
    isReady: () => client.isReady,
    async close() {
      // `destroy`, not `close`: nothing pending is worth waiting for at shutdown.
      if (client.isOpen) client.destroy();
      await Promise.resolve();
    },
  };
}

// Logs each change of state once: an outage is one error line, not one per reconnect attempt.
// Failures before the first connection are reported by `connectLimitsRedis` instead.
function watchConnection(client: Client, log: Logger): void {
  let connected = false;
  let down = true;

  // Without an `error` listener, node-redis's EventEmitter would crash the process.
  client.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    log.error('limits store connection lost', { code: 'WARDEN_LIMITS_STORE_DOWN', error });
  });
  client.on('ready', () => {
    if (connected && down) log.info('limits store reconnected', { code: 'WARDEN_LIMITS_STORE_UP' });
    connected = true;
    down = false;
  });
}

function reconnectDelay(retries: number): number {
  return Math.min(RECONNECT_FIRST_DELAY_MS * 2 ** retries, RECONNECT_MAX_DELAY_MS);
}

async function withinMs(promise: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([promise, timeout]);
  clearTimeout(timer);
  return result;
}

/** Redis's answer to EVALSHA for a script it does not hold, e.g. after it restarted. */
export function isNoScript(error: unknown): boolean {
  return error instanceof ErrorReply && error.message.startsWith('NOSCRIPT');
}
