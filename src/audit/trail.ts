import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { isWardenError, WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { currentRequestId } from '../log/request-context.js';
import { countAuditEntry } from '../metrics/audit-events.js';
import { sealEntry, type ChainHead } from './chain.js';
import type { ResolvedAuditConfig } from './config.js';
import { toEntryBody } from './entry.js';
import type { AuditEventInput, AuditTrail, RecordOptions } from './event.js';
import { AuditFileWriter } from './file-writer.js';
import { lockAuditFile } from './lock.js';
import { recoverAuditFile } from './recover.js';
import { createRedactor } from './redact.js';
import { openFileSink, type AuditSink } from './sink.js';
import { createAuditStream, type AuditStreamOptions } from './stream.js';
import { openCheckpointer } from './open-checkpointer.js';
import { describe } from './reader.js';

/** What {@link openAuditTrail} needs. */
export interface AuditTrailOptions {
  readonly config: ResolvedAuditConfig;
  readonly logger: Logger;
  /** Extra winston transports for the audit stream. */
  readonly transports?: AuditStreamOptions['transports'];
  /** The clock; tests freeze it. */
  readonly now?: () => Date;
  /** For tests only: wraps each file sink, e.g. to make a write fail. */
  readonly wrapSink?: (sink: AuditSink) => AuditSink;
}

/** The file-backed audit trail. */
export interface DurableAuditTrail extends AuditTrail {
  readonly file: string;
  /** False once a write failed: every action is then refused (503) until Warden restarts. */
  isAvailable(): boolean;
  /** The last entry on disk. */
  head(): ChainHead;
}

/**
 * Opens the tamper-evident audit trail: locks the file, sets a torn tail aside, verifies the chain
 * (refusing a broken one), continues it, and starts signing checkpoints when a key is configured.
 * `record` resolves once the entry is on disk (or only chained, when asked); it rejects with
 * `ERR_AUDIT_UNAVAILABLE` once a write failed, and so does every later call.
 */
export async function openAuditTrail(options: AuditTrailOptions): Promise<DurableAuditTrail> {
  const { config } = options;
  const log = options.logger.child({ module: 'audit' });
  const now = options.now ?? (() => new Date());
  mkdirSync(path.dirname(config.file), { recursive: true, mode: 0o700 });
  const release = lockAuditFile(config.file);

  try {
    warnAboutRisks(config, log);
    const recovered = await recoverAuditFile(config.file, log, now());
    const openSink = async (file: string) => (options.wrapSink ?? same)(await openFileSink(file));
    const checkpointer = await openCheckpointer(config, log, now);
    const writer = new AuditFileWriter({
      file: config.file,
      sink: await openSink(config.file),
      ...recovered,
      fsync: config.fsync,
      rotateBytes: config.rotateBytes,
      openSink,
      afterBatch: async (head) => checkpointer?.afterBatch(head),
      onFailure: (error) => reportFailure(config.file, error, log),
    });
    log.info('audit trail open', { file: config.file, seq: recovered.head.seq });
    return assemble({ options, writer, checkpointer, release, now, head: recovered.head });
  } catch (error) {
    release();
    throw isWardenError(error) ? error : cannotOpen(config.file, error);
  }
}

function cannotOpen(file: string, cause: unknown): WardenError {
  return new WardenError('ERR_AUDIT_FILE', `cannot open audit file ${file}: ${describe(cause)}`, {
    cause,
  });
}

interface Parts {
  options: AuditTrailOptions;
  writer: AuditFileWriter;
  checkpointer: Awaited<ReturnType<typeof openCheckpointer>>;
  release: () => void;
  now: () => Date;
  head: ChainHead;
}

function assemble(parts: Parts): DurableAuditTrail {
  const { options, writer, checkpointer, now } = parts;
  const redactor = createRedactor(options.config.redact);
  const stream = createAuditStream({
    console: options.config.console,
    transports: options.transports,
  });
  const timer =
    checkpointer &&
    setInterval(() => {
      void writer.enqueue(() => checkpointer.ifMoved(writer.durableHead));
    }, options.config.checkpoints.intervalMs);
  timer?.unref();
  let head = parts.head;
  let closing: Promise<void> | undefined;

  async function record(input: AuditEventInput, options: RecordOptions = {}): Promise<void> {
    if (writer.failed !== undefined) throw unavailable(writer.failed);

    const body = toEntryBody(input, { time: now(), requestId: currentRequestId(), redactor });
    const { entry, line } = sealEntry(body, head);
    head = { seq: entry.seq, hash: entry.hash };
    const written = writer.append(line, head).then(() => {
      stream.send(entry);
      countAuditEntry(entry);
    });

    // A failed write stops the writer, which reports it and refuses every later entry: the next
    // durable entry, and with it the action or answer it guards, fails closed.
    if (options.durable === false) return void written.catch(() => undefined);
    await written.catch((error: unknown) => {
      throw unavailable(error);
    });
  }

  async function close(): Promise<void> {
    clearInterval(timer);
    await writer.enqueue(async () => checkpointer?.ifMoved(writer.durableHead));
    await writer.close();
    await checkpointer?.close();
    stream.close();
    parts.release();
  }

  return {
    file: options.config.file,
    record,
    close: () => (closing ??= close()),
    isAvailable: () => writer.failed === undefined,
    head: () => writer.durableHead,
  };
}

function same(sink: AuditSink): AuditSink {
  return sink;
}

function unavailable(cause: unknown): WardenError {
  return new WardenError('ERR_AUDIT_UNAVAILABLE', 'the audit trail cannot be written', {
    cause,
    publicMessage: 'temporarily unavailable',
  });
}

function reportFailure(file: string, error: unknown, log: Logger): void {
  log.error('audit write failed: refusing every action (503) until Warden is restarted', {
    code: 'WARDEN_AUDIT_UNAVAILABLE',
    file,
    error,
  });
}

function warnAboutRisks(config: ResolvedAuditConfig, log: Logger): void {
  if (!config.fsync) {
    log.warn('audit.fsync is off: entries survive a process crash but not power loss', {
      code: 'WARDEN_AUDIT_NO_FSYNC',
    });
  }
  if (config.checkpoints.keyFile === undefined) {
    log.warn(
      'audit.checkpoints.keyFile is not set: a cut-off tail of the audit file goes unnoticed',
      {
        code: 'WARDEN_AUDIT_UNSIGNED',
      },
    );
  }
}
