import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Warden's schema. The task table has the shape the SDK's `DatabaseTaskStore` reads and writes
 * (the SDK ships its migrations only inside its CLI), keyed by (tenant, owner, id) so one caller's
 * task id never resolves in another caller's scope.
 */
export const migrations: Record<string, Migration> = {
  '0001_create_tasks': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('tasks')
        .addColumn('tenant', 'varchar(255)', (c) => c.notNull())
        .addColumn('owner', 'varchar(255)', (c) => c.notNull())
        .addColumn('id', 'varchar(36)', (c) => c.notNull())
        .addColumn('context_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('status_last_updated', 'bigint', (c) => c.notNull())
        .addColumn('status_state', 'varchar(255)')
        .addColumn('status', sql`text`)
        .addColumn('artifacts', sql`text`)
        .addColumn('history', sql`text`)
        .addColumn('metadata', sql`text`)
        .addColumn('protocol_version', 'varchar(255)')
        .addPrimaryKeyConstraint('tasks_pkey', ['tenant', 'owner', 'id'])
        .execute();
      await db.schema
        .createIndex('tasks_scope_updated_idx')
        .on('tasks')
        .columns(['tenant', 'owner', 'status_last_updated', 'id'])
        .execute();
    },
  },
  // Calls held for a human approval (A2A §7.6): one row each, the record as JSON in `data`, and
  // the columns the approvals API and the expiry sweep select on.
  '0002_create_approvals': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('approvals')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('task_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('data', sql`text`, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('approvals_status_idx')
        .on('approvals')
        .columns(['status', 'created_at'])
        .execute();
      await db.schema.createIndex('approvals_task_idx').on('approvals').column('task_id').execute();
    },
  },
};
