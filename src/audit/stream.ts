import winston from 'winston';
import type { AuditEntry } from './entry.js';

/** Where the audit stream goes besides the file. */
export interface AuditStreamOptions {
  /** Write each entry as a JSON line to stdout (`audit.console`). */
  readonly console: boolean;
  /** Any winston transports: syslog, Loki, Elasticsearch, a file for a log shipper. */
  readonly transports?: readonly winston.transport[] | undefined;
}

/** Sends durable entries on to winston transports. */
export interface AuditStream {
  send(entry: AuditEntry): void;
  close(): void;
}

/**
 * The audit stream: a winston logger of its own, apart from the application logs, whose lines are
 * the audit entries themselves (`message` is the event, `stream: "audit"`). Entries are sent only
 * once durable in the file, so the stream never shows what the file may lack. winston's
 * transports acknowledge before the disk and never sync: the file, not this stream, is the record.
 */
export function createAuditStream(options: AuditStreamOptions): AuditStream {
  const transports = [...(options.transports ?? [])];
  if (options.console) transports.push(new winston.transports.Console());
  // A logger without transports warns on every line; without any, there is nothing to send.
  if (transports.length === 0) return { send: () => undefined, close: () => undefined };

  const logger = winston.createLogger({
    level: 'info',
    defaultMeta: { stream: 'audit' },
    format: winston.format.json(),
    transports,
  });
  return {
    send: (entry) => logger.info(entry.event, { ...entry }),
    close: () => logger.close(),
  };
}
