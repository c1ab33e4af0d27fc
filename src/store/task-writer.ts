import type { Task } from '@a2a-js/sdk';
import type { TaskScope } from './task-rows.js';

/** How long a task's intermediate state may wait in memory before it is committed. */
export const INTERMEDIATE_DELAY_MS = 50;

/** A task to write, with the scope it is stored under. The writer never mutates either. */
export interface PendingTask {
  readonly scope: TaskScope;
  readonly task: Task;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Writes tasks in batches, one transaction each, keeping only the newest version of each:
 *
 * - a task that must be durable (a final or interrupted state) is committed at the next turn of
 *   the event loop, with every other task then queued, and its `write` resolves after the commit;
 * - an intermediate state (submitted, working) resolves at once and is committed within
 *   {@link INTERMEDIATE_DELAY_MS}, unless a newer version of its task replaces it first. A
 *   one-shot skill therefore costs one row write instead of one per event; a crash can lose only
 *   the last intermediate state of a task whose run died with the process anyway.
 *
 * A failed commit writes nothing of its batch and rejects the batch's durable writes; its
 * intermediate states are dropped, as a crash would drop them (the caller's copy stays current).
 */
export class TaskWriter {
  #pending = new Map<string, PendingTask>();
  #waiters: Waiter[] = [];
  #soon: NodeJS.Immediate | undefined;
  #later: NodeJS.Timeout | undefined;

  /** `commit` writes every task or none (a transaction). */
  constructor(private readonly commit: (tasks: readonly PendingTask[]) => void) {}

  write(key: string, pending: PendingTask, durable: boolean): Promise<void> {
    this.#pending.set(key, pending);
    if (!durable) {
      this.#later ??= setTimeout(() => this.flush(), INTERMEDIATE_DELAY_MS);
      return Promise.resolve();
    }

    this.#soon ??= setImmediate(() => this.flush());
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** True when `key` has a version not yet committed. */
  holds(key: string): boolean {
    return this.#pending.has(key);
  }

  /** Commits everything queued now. */
  flush(): void {
    this.#cancelTimers();
    const pending = this.#pending;
    const waiters = this.#waiters;
    this.#pending = new Map();
    this.#waiters = [];
    if (pending.size === 0) return;

    try {
      this.commit([...pending.values()]);
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    for (const waiter of waiters) waiter.resolve();
  }

  #cancelTimers(): void {
    if (this.#soon !== undefined) clearImmediate(this.#soon);
    if (this.#later !== undefined) clearTimeout(this.#later);
    this.#soon = undefined;
    this.#later = undefined;
  }
}
