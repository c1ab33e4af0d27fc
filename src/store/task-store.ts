import type { Task, TaskState } from '@a2a-js/sdk';
import type { ServerCallContext, TaskStore } from '@a2a-js/sdk/server';
import { DatabaseTaskStore } from '@a2a-js/sdk/server/database';
import type { Database } from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { resolveOwner } from '../a2a/user.js';
import { isFinalState, isPassingState, stateOf } from '../a2a/task-states.js';
import { fromTaskRow, toTaskRow, type TaskRow, type TaskScope } from './task-rows.js';
import { TaskWriter, type PendingTask } from './task-writer.js';

/** Live tasks kept in memory; beyond this the least recently saved is read from SQLite again. */
const LIVE_TASKS = 10_000;

/** The SQLite task store, and how to write out what it still holds before the database closes. */
export interface SqliteTaskStore extends TaskStore {
  /** Commits the rows queued for the next batch now. */
  flush(): void;
}

/**
 * The task store on the hot path. The SDK loads and saves the task for every event it publishes
 * (four of each for a one-shot skill); its `DatabaseTaskStore` compiles every statement through
 * Kysely and commits every save on its own, which cost about a third of Warden's CPU per request.
 * Here:
 *
 * - `save` and `load` run two statements prepared once, on the SDK's table and row format, so
 *   `DatabaseTaskStore` still serves `list` (filters, page tokens) over the same rows;
 * - saves are committed in batches, newest row per task, one transaction each ({@link TaskWriter}):
 *   a final or interrupted state before `save` resolves, an intermediate one within 50 ms;
 * - tasks that are still running are also kept in memory, so the SDK's reload before each event
 *   is a copy, not a query. A final state drops the task from memory. This is sound because one
 *   Warden process owns its SQLite file (`openSqliteStore` locks it exclusively).
 */
export function sqliteTaskStore(database: Database, db: Kysely<unknown>): SqliteTaskStore {
  const upsert = database.prepare<[TaskRow]>(UPSERT);
  const select = database.prepare<[string, string, string], TaskRow>(SELECT);
  const writer = new TaskWriter(
    // Serialized here, once per committed version, not on every save.
    database.transaction((tasks: readonly PendingTask[]) => {
      for (const { scope, task } of tasks) upsert.run(toTaskRow(scope, task));
    }),
  );
  const live = new LiveTasks(writer);
  const lister = new DatabaseTaskStore(db, { ownerResolver: resolveOwner });

  return {
    async save(task, context) {
      const scope = scopeOf(context);
      const key = keyOf(scope, task.id);
      const state = stateOf(task);
      // A copy: the SDK goes on mutating the task it saved.
      const saved = structuredClone(task);

      await writer.write(key, { scope, task: saved }, !isPassingState(state));
      live.keep(key, saved, state);
    },
    async load(taskId, context) {
      const scope = scopeOf(context);
      const kept = live.get(keyOf(scope, taskId));
      if (kept !== undefined) return kept;

      const row = select.get(scope.tenant, scope.owner, taskId);
      return row && fromTaskRow(row);
    },
    list(params, context) {
      // The SDK's list queries the table: what is still queued must be in it first.
      writer.flush();
      return lister.list(params, context);
    },
    flush: () => writer.flush(),
  };
}

/**
 * The tasks still running, most recently saved last. Each is handed out as a copy: the SDK
 * mutates the task it loads.
 */
class LiveTasks {
  readonly #tasks = new Map<string, Task>();

  constructor(private readonly writer: TaskWriter) {}

  get(key: string): Task | undefined {
    const task = this.#tasks.get(key);
    return task && structuredClone(task);
  }

  keep(key: string, task: Task, state: TaskState): void {
    this.#tasks.delete(key);
    if (isFinalState(state)) return;

    this.#tasks.set(key, task);
    if (this.#tasks.size > LIVE_TASKS) this.#evictOldest();
  }

  // The table must hold what memory forgets.
  #evictOldest(): void {
    const oldest = this.#tasks.keys().next().value;
    if (oldest === undefined) return;

    if (this.writer.holds(oldest)) this.writer.flush();
    this.#tasks.delete(oldest);
  }
}

function scopeOf(context: ServerCallContext): TaskScope {
  return { tenant: context.tenant ?? '', owner: resolveOwner(context) };
}

function keyOf(scope: TaskScope, taskId: string): string {
  return `${scope.tenant}\0${scope.owner}\0${taskId}`;
}

const SELECT = `SELECT * FROM tasks WHERE tenant = ? AND owner = ? AND id = ?`;

const UPSERT = `
  INSERT INTO tasks (tenant, owner, id, context_id, status_last_updated, status_state, status,
                     artifacts, history, metadata, protocol_version)
  VALUES (@tenant, @owner, @id, @context_id, @status_last_updated, @status_state, @status,
          @artifacts, @history, @metadata, @protocol_version)
  ON CONFLICT (tenant, owner, id) DO UPDATE SET
    context_id = excluded.context_id,
    status_last_updated = excluded.status_last_updated,
    status_state = excluded.status_state,
    status = excluded.status,
    artifacts = excluded.artifacts,
    history = excluded.history,
    metadata = excluded.metadata,
    protocol_version = excluded.protocol_version`;
