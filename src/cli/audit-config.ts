import { loadConfig } from '../config/load.js';
import { WardenError } from '../errors.js';
import { resolveAuditConfig, type ResolvedAuditConfig } from '../audit/config.js';

/** Where a command's output goes; the CLI passes stdout, tests a collector. */
export type Output = (text: string) => void;

/** stdout, for the CLI. A closed pipe (`warden audit tail | head`) ends the command quietly. */
export const stdout: Output = (text) => {
  if (process.stdout.listenerCount('error') === 0) process.stdout.on('error', exitOnClosedPipe);
  process.stdout.write(text);
};

function exitOnClosedPipe(error: Error & { code?: string }): void {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
}

/**
 * The audit section of the configuration named by `--config` or `$WARDEN_CONFIG`, for commands
 * given no file. Throws `ERR_AUDIT_USAGE` when neither is there.
 */
export function auditConfigOf(configPath: string | undefined, what: string): ResolvedAuditConfig {
  const file = configPath ?? process.env['WARDEN_CONFIG'];
  if (file === undefined) {
    throw new WardenError(
      'ERR_AUDIT_USAGE',
      `no ${what}: pass it, or --config PATH, or set WARDEN_CONFIG`,
    );
  }
  return resolveAuditConfig(loadConfig(file));
}
