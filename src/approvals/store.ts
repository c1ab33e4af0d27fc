import type { Kysely } from 'kysely';
import type { Approval, ApprovalStatus } from './approval.js';

interface ApprovalsTable {
  id: string;
  task_id: string;
  status: string;
  created_at: number;
  expires_at: number;
  data: string;
}

interface Database {
  approvals: ApprovalsTable;
}

/** Approvals in Warden's SQLite store (table `approvals`, migration `0002_create_approvals`). */
export interface ApprovalStore {
  insert(approval: Approval): Promise<void>;
  get(id: string): Promise<Approval | undefined>;
  /** Newest first. */
  list(filter: { status?: ApprovalStatus | undefined; limit: number }): Promise<Approval[]>;
  /** Approvals of a task, newest first. */
  forTask(taskId: string): Promise<Approval[]>;
  /**
   * Replaces the record only while it still has `expected` status, so two operators, or an
   * operator and the expiry, cannot both decide: false when someone else got there first.
   */
  update(next: Approval, expected: ApprovalStatus): Promise<boolean>;
}

/** The approval store over Warden's database. */
export function createApprovalStore(db: Kysely<unknown>): ApprovalStore {
  const table = (db as unknown as Kysely<Database>).selectFrom('approvals');
  const rows = db as unknown as Kysely<Database>;

  return {
    async insert(approval) {
      await rows.insertInto('approvals').values(rowOf(approval)).execute();
    },
    async get(id) {
      const row = await table.select('data').where('id', '=', id).executeTakeFirst();
      return row && parse(row.data);
    },
    async list({ status, limit }) {
      let query = table.select('data').orderBy('created_at', 'desc').limit(limit);
      if (status !== undefined) query = query.where('status', '=', status);
      return (await query.execute()).map((row) => parse(row.data));
    },
    async forTask(taskId) {
      const found = await table
        .select('data')
        .where('task_id', '=', taskId)
        .orderBy('created_at', 'desc')
        .execute();
      return found.map((row) => parse(row.data));
    },
    async update(next, expected) {
      const { id, ...values } = rowOf(next);
      const result = await rows
        .updateTable('approvals')
        .set(values)
        .where('id', '=', id)
        .where('status', '=', expected)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}

function rowOf(approval: Approval): ApprovalsTable {
  return {
    id: approval.id,
    task_id: approval.taskId,
    status: approval.status,
    created_at: Date.parse(approval.createdAt),
    expires_at: Date.parse(approval.expiresAt),
    data: JSON.stringify(approval),
  };
}

function parse(data: string): Approval {
  return JSON.parse(data) as Approval;
}
