import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type MigrationProvider } from 'kysely';
import type { TaskStore } from '@a2a-js/sdk/server';
import { WardenError } from '../errors.js';
import { migrations } from './migrations.js';
import { sqliteTaskStore } from './task-store.js';

/** The embedded store: tasks in one SQLite file. */
export interface WardenStore {
  readonly tasks: TaskStore;
  /** The database itself, for Warden's own tables (approvals). */
  readonly db: Kysely<unknown>;
  /** True once migrated and until closed; `/readyz` reports it. */
  isOpen(): boolean;
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the SQLite database, brings its schema up to date and returns the task
 * store over it (the SDK's task table, scoped by Warden's owner key). WAL mode with
 * `synchronous = NORMAL` is durable across process crashes. The exclusive lock makes this process
 * the file's only user, which the task store's in-memory copies of running tasks rely on: a second
 * Warden on the same file is refused at start.
 */
export async function openSqliteStore(file: string): Promise<WardenStore> {
  mkdirSync(path.dirname(file), { recursive: true });
  const database = new Database(file);
  try {
    database.pragma('locking_mode = EXCLUSIVE');
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
  } catch (cause) {
    database.close();
    throw new WardenError(
      'ERR_CONFIG_INVALID',
      `store.path: ${file} is in use by another process`,
      {
        cause,
      },
    );
  }

  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
  await migrate(db);

  const tasks = sqliteTaskStore(database, db);
  let open = true;
  return {
    tasks,
    db,
    isOpen: () => open,
    async close() {
      open = false;
      tasks.flush();
      await db.destroy();
    },
  };
}

async function migrate(db: Kysely<unknown>): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error !== undefined) throw error;
}
