import type { Logger } from '../log/logger.js';
import { Checkpointer } from './checkpointer.js';
import { loadCheckpointKey } from './checkpoint-key.js';
import type { ResolvedAuditConfig } from './config.js';
import { openFileSink } from './sink.js';
import { setAsideTornTail } from './tail-bytes.js';

/**
 * Starts checkpoints when `audit.checkpoints.keyFile` is set: loads (or, in development, creates)
 * the Ed25519 key, sets aside a torn last line of the checkpoint file, and opens it for appending.
 */
export async function openCheckpointer(
  config: ResolvedAuditConfig,
  logger: Logger,
  now: () => Date,
): Promise<Checkpointer | undefined> {
  const { keyFile, generateIfMissing, file, everyEntries } = config.checkpoints;
  if (keyFile === undefined) return undefined;

  const key = await loadCheckpointKey({ keyFile, generateIfMissing }, logger);
  const torn = await setAsideTornTail(file, now());
  if (torn) {
    logger.warn('checkpoint file ended in a torn line; set it aside', {
      code: 'WARDEN_AUDIT_TORN_TAIL',
      file,
      savedTo: torn.savedTo,
    });
  }

  const sink = await openFileSink(file);
  return new Checkpointer({
    key,
    sink,
    auditFile: config.file,
    fsync: config.fsync,
    everyEntries,
    now,
    logger,
  });
}
