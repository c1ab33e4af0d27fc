import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type MigrationProvider } from 'kysely';
import { DatabaseTaskStore } from '@a2a-js/sdk/server/database';
import type { TaskStore } from '@a2a-js/sdk/server';
import { resolveOwner } from '../a2a/user.js';
import { migrations } from './migrations.js';

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
 * Opens (creating if needed) the SQLite database, brings its schema up to date and returns the
 * SDK's `DatabaseTaskStore` over it, scoped by Warden's owner key. WAL mode lets readers proceed
 * while a task is written; `synchronous = NORMAL` is durable across process crashes in WAL mode.
 */
export async function openSqliteStore(file: string): Promise<WardenStore> {
  mkdirSync(path.dirname(file), { recursive: true });
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');

  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
  await migrate(db);

  let open = true;
  return {
    tasks: new DatabaseTaskStore(db, { ownerResolver: resolveOwner }),
    db,
    isOpen: () => open,
    async close() {
      open = false;
      await db.destroy();
    },
  };
}

async function migrate(db: Kysely<unknown>): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error !== undefined) throw error;
}
