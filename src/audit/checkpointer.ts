import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { auditCheckpoints } from '../metrics/registry.js';
import type { ChainHead } from './chain.js';
import { signCheckpoint } from './checkpoint.js';
import type { CheckpointKey } from './checkpoint-key.js';
import type { AuditSink } from './sink.js';

/** What {@link Checkpointer} needs. */
export interface CheckpointerOptions {
  readonly key: CheckpointKey;
  readonly sink: AuditSink;
  readonly auditFile: string;
  readonly fsync: boolean;
  readonly everyEntries: number;
  readonly now: () => Date;
  readonly logger: Logger;
}

/**
 * Appends signed checkpoints of the durable head: after a batch once `everyEntries` entries went
 * by, on the interval timer when the head moved, and on close. A checkpoint that cannot be written
 * is logged (`WARDEN_AUDIT_CHECKPOINT_FAILED`) and counted, but does not stop the trail: the
 * entries themselves are durable, only the evidence of a cut-off tail is delayed.
 */
export class Checkpointer {
  // 0, not the recovered head: the tail a previous run wrote after its last checkpoint gets one.
  private lastSeq = 0;

  constructor(private readonly options: CheckpointerOptions) {}

  /** After each batch: a checkpoint once enough entries went by. */
  async afterBatch(head: ChainHead): Promise<void> {
    if (head.seq - this.lastSeq >= this.options.everyEntries) await this.write(head);
  }

  /** On the timer and on close: a checkpoint when the head moved. */
  async ifMoved(head: ChainHead): Promise<void> {
    if (head.seq > this.lastSeq) await this.write(head);
  }

  close(): Promise<void> {
    return this.options.sink.close();
  }

  private async write(head: ChainHead): Promise<void> {
    const { key, sink, auditFile, now } = this.options;
    try {
      const jws = await signCheckpoint(head, key, path.basename(auditFile), now());
      await sink.write(Buffer.from(`${jws}\n`));
      if (this.options.fsync) await sink.sync();
      this.lastSeq = head.seq;
      auditCheckpoints.inc({ result: 'ok' });
    } catch (error) {
      auditCheckpoints.inc({ result: 'error' });
      this.options.logger.error('audit checkpoint not written', {
        code: 'WARDEN_AUDIT_CHECKPOINT_FAILED',
        seq: head.seq,
        error,
      });
    }
  }
}
