import { loadConfig } from '../config/load.js';
import { createLogger, type Logger } from '../log/logger.js';
import { loadCardSource } from '../card/source.js';
import { createWarden } from '../server/warden.js';
import { startConfiguredDevIdp } from '../server/dev-idp.js';

/**
 * `warden serve`: loads the configuration, starts the development IdP when configured, builds
 * Warden and listens until SIGTERM or SIGINT, on which it drains in-flight requests and closes its
 * stores; SIGHUP reloads the policy files. Any start-up error is logged with its code and the
 * process exits 1 before listening.
 */
export async function serve(configPath: string): Promise<void> {
  let config = loadConfig(configPath);
  const logger = createLogger({
    level: config.log.level,
    ...(config.log.format ? { format: config.log.format } : {}),
  });
  const stops: (() => Promise<void>)[] = [];

  if (config.devIdp.enabled) {
    const started = await startConfiguredDevIdp(config, loadCardSource(config.agentCard), logger);
    config = started.config;
    stops.push(() => started.idp.close());
  }

  try {
    const warden = await createWarden({ config, logger });
    await warden.listen();
    stops.unshift(() => warden.close());
    // SIGHUP re-reads the policy files; a set that fails to load keeps the one in force.
    process.on('SIGHUP', () => void warden.reloadPolicy());
  } catch (error) {
    await Promise.all(stops.map((stop) => stop()));
    throw error;
  }

  stopOnSignal(stops, logger);
}

function stopOnSignal(stops: (() => Promise<void>)[], logger: Logger): void {
  const stop = async (signal: string) => {
    logger.info('shutting down', { signal });
    try {
      for (const step of stops) await step();
      logger.info('stopped');
    } catch (error) {
      logger.error('shutdown failed', { error });
      process.exitCode = 1;
    }
  };
  process.once('SIGTERM', (signal) => void stop(signal));
  process.once('SIGINT', (signal) => void stop(signal));
}
