import winston from 'winston';
import { currentRequestId } from './request-context.js';

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level written, default `info`. */
  level?: string;
  /**
   * `json` writes one JSON object per line (for log pipelines); `pretty` writes readable lines.
   * Default: `pretty` when stdout is a TTY, `json` otherwise.
   */
  format?: 'json' | 'pretty';
  /** Silence every transport (tests). */
  silent?: boolean;
}

/**
 * Creates Warden's root logger. Modules receive children of it (`logger.child({ module })`) and
 * log fields, not interpolated strings, so a log pipeline can index them.
 */
export function createLogger(options: LoggerOptions = {}): winston.Logger {
  const pretty = (options.format ?? (process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty';

  return winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    format: pretty ? prettyFormat() : jsonFormat(),
    transports: [new winston.transports.Console()],
  });
}

// Stamps the current request's id on every line written while serving it.
const withRequestId = winston.format((info) => {
  const requestId = currentRequestId();
  if (requestId !== undefined && info['requestId'] === undefined) info['requestId'] = requestId;
  return info;
});

function jsonFormat(): winston.Logform.Format {
  return winston.format.combine(
    withRequestId(),
    winston.format.timestamp(),
    winston.format.errors({ stack: true }),
    winston.format.json(),
  );
}

function prettyFormat(): winston.Logform.Format {
  return winston.format.combine(
    withRequestId(),
    winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
    winston.format.errors({ stack: true }),
    winston.format.colorize(),
    winston.format.printf(({ timestamp, level, message, stack, ...fields }) => {
      const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
      const trace = typeof stack === 'string' ? `\n${stack}` : '';
      return `${String(timestamp)} ${level} ${String(message)}${rest}${trace}`;
    }),
  );
}

export type Logger = winston.Logger;
