import { Task, taskStateToJSON } from '@a2a-js/sdk';

/** A row of the SDK's task table, as `DatabaseTaskStore` writes it. */
export interface TaskRow {
  tenant: string;
  owner: string;
  id: string;
  context_id: string;
  status_last_updated: number;
  status_state: string | null;
  status: string | null;
  artifacts: string | null;
  history: string | null;
  metadata: string | null;
  protocol_version: string;
}

/** Where a task lives: the SDK scopes every task by tenant and owner. */
export interface TaskScope {
  readonly tenant: string;
  readonly owner: string;
}

// The payload format `DatabaseTaskStore` stamps on its rows; rows written here must read back
// through it unchanged.
const PAYLOAD_FORMAT = '1.0';

/** The row `DatabaseTaskStore` would write for `task`: ProtoJSON columns, state and timestamp. */
export function toTaskRow(scope: TaskScope, task: Task): TaskRow {
  const payload = Task.toJSON(task) as Record<string, unknown>;

  return {
    tenant: scope.tenant,
    owner: scope.owner,
    id: task.id,
    context_id: task.contextId || '',
    status_last_updated: lastUpdated(task.status?.timestamp),
    status_state: task.status ? taskStateToJSON(task.status.state) : null,
    status: encode(payload['status']),
    artifacts: encode(payload['artifacts']),
    history: encode(payload['history']),
    metadata: encode(payload['metadata']),
    protocol_version: PAYLOAD_FORMAT,
  };
}

/** The task a row holds; a row that does not parse is reported by id, never half-read. */
export function fromTaskRow(row: TaskRow): Task {
  try {
    return Task.fromJSON({
      id: row.id,
      contextId: row.context_id,
      status: decode(row.status),
      artifacts: decode(row.artifacts),
      history: decode(row.history),
      metadata: decode(row.metadata),
    });
  } catch (cause) {
    throw new Error(`task "${row.id}" is not readable`, { cause });
  }
}

function lastUpdated(timestamp: string | undefined): number {
  const parsed = timestamp ? Date.parse(timestamp) : 0;
  return Number.isNaN(parsed) ? 0 : parsed;
}

function encode(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function decode(value: string | null): unknown {
  return value ? JSON.parse(value) : undefined;
}
