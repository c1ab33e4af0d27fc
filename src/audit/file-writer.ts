import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { auditBatchEntries, auditWriteFailures, auditWriteSeconds } from '../metrics/registry.js';
import type { ChainHead } from './chain.js';
import { rotatedFileName } from './files.js';
import { syncDirectory, type AuditSink } from './sink.js';

/** What {@link AuditFileWriter} needs. */
export interface AuditFileWriterOptions {
  readonly file: string;
  readonly sink: AuditSink;
  /** The head already in the file (or in the rotated file before it). */
  readonly head: ChainHead;
  /** Sequence number of the active file's first line; `undefined` while the file is empty. */
  readonly firstSeq: number | undefined;
  readonly fsync: boolean;
  /** 0: never rotate. */
  readonly rotateBytes: number;
  readonly openSink: (file: string) => Promise<AuditSink>;
  /** Runs after each batch, in the writer's lane (nothing is written meanwhile). */
  readonly afterBatch?: (head: ChainHead) => Promise<void>;
  /** Told once, when a batch fails; every later append then fails at once. */
  readonly onFailure: (error: unknown) => void;
}

interface Pending {
  readonly line: string;
  readonly head: ChainHead;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Warden's own append-only writer, with group commit: lines appended while a batch is being
 * written and synced wait together and go out as the next batch, one `write` and one `fdatasync`
 * for all of them, so concurrent requests share the cost of durability. `append` resolves once
 * the line is on disk. After a failed write or sync the writer refuses everything: after a failed
 * `fdatasync` the kernel may have dropped the unsynced pages, so what is on disk is unknown.
 */
export class AuditFileWriter {
  private sink: AuditSink;
  private durable: ChainHead;
  private firstSeq: number | undefined;
  private pending: Pending[] = [];
  private scheduled = false;
  private lane: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(private readonly options: AuditFileWriterOptions) {
    this.sink = options.sink;
    this.durable = options.head;
    this.firstSeq = options.firstSeq;
  }

  /** The last entry known to be on disk. */
  get durableHead(): ChainHead {
    return this.durable;
  }

  /** Why the writer stopped, if it did. */
  get failed(): unknown {
    return this.failure;
  }

  /** Appends `line` (the sealed entry whose head it becomes); resolves once it is durable. */
  append(line: string, head: ChainHead): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);

    return new Promise((resolve, reject) => {
      this.pending.push({ line, head, resolve, reject });
      if (this.scheduled) return;

      this.scheduled = true;
      this.enqueue(() => this.writeBatch());
    });
  }

  /** Runs `task` in the writer's lane, after what is queued; for checkpoints. */
  enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.lane.then(task);
    // One failed task must not stop the lane: each batch settles its own entries.
    this.lane = run.catch(() => undefined);
    return run;
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    await this.enqueue(async () => {
      if (this.failure === undefined) this.failure = new Error('audit file closed');
      await this.sink.close().catch(() => undefined); // already closed by a failed rotation
    });
  }

  private async writeBatch(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending.splice(0);
    if (batch.length === 0 || this.failure !== undefined) return this.rejectAll(batch);

    try {
      const stop = auditWriteSeconds.startTimer();
      await this.sink.write(Buffer.from(batch.map((item) => item.line).join('')));
      if (this.options.fsync) await this.sink.sync();
      stop();
    } catch (error) {
      return this.fail(error, batch);
    }

    this.settle(batch);
    await this.afterBatch();
  }

  private settle(batch: Pending[]): void {
    auditBatchEntries.observe(batch.length);
    this.firstSeq ??= batch[0]?.head.seq;
    this.durable = batch[batch.length - 1]?.head ?? this.durable;
    for (const item of batch) item.resolve();
  }

  private async afterBatch(): Promise<void> {
    try {
      if (this.options.rotateBytes > 0 && this.sink.size >= this.options.rotateBytes) {
        await this.rotate();
      }
      await this.options.afterBatch?.(this.durable);
    } catch (error) {
      this.fail(error, []);
    }
  }

  // Rename, then open a fresh file: a crash in between leaves no active file, and the next start
  // continues the chain from the newest rotated one.
  private async rotate(): Promise<void> {
    const { file } = this.options;
    const target = rotatedFileName(file, this.firstSeq ?? this.durable.seq);
    // rename() would silently replace it; only this process writes here (the lock), so a check
    // suffices.
    if (existsSync(target)) throw new Error(`cannot rotate: ${target} already exists`);
    await this.sink.close();
    await rename(file, target);
    this.sink = await this.options.openSink(file);
    this.firstSeq = undefined;
    await syncDirectory(path.dirname(file));
  }

  private fail(error: unknown, batch: Pending[]): void {
    auditWriteFailures.inc();
    this.failure = error;
    this.rejectAll([...batch, ...this.pending.splice(0)]);
    this.options.onFailure(error);
  }

  private rejectAll(batch: Pending[]): void {
    for (const item of batch) item.reject(this.failure);
  }
}
