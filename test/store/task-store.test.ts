import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Task, TaskState, taskStateToJSON } from '@a2a-js/sdk';
import { ServerCallContext } from '@a2a-js/sdk/server';
import { DatabaseTaskStore } from '@a2a-js/sdk/server/database';
import { WardenUser } from '../../src/a2a/user.js';
import { openSqliteStore, type WardenStore } from '../../src/store/sqlite.js';
import { WardenError } from '../../src/errors.js';
import { principal } from '../policy/helpers.js';

let dir: string;
let file: string;
let store: WardenStore;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-tasks-'));
  file = path.join(dir, 'warden.db');
  store = await openSqliteStore(file);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const alice = callContext('agent-a', 'alice');
const bob = callContext('agent-b', 'bob');

function callContext(agent: string, user: string): ServerCallContext {
  return new ServerCallContext({ user: new WardenUser(principal({ agent, user })) });
}

// Through the SDK's own codec, so the task has every default the SDK's tasks have.
function task(id: string, state: TaskState, text = 'hello'): Task {
  return Task.fromJSON({
    id,
    contextId: `ctx-${id}`,
    status: { state: taskStateToJSON(state), timestamp: '2026-12-01T10:00:00.000Z' },
    history: [{ messageId: `m-${id}`, role: 'ROLE_USER', parts: [{ text }] }],
    metadata: { note: text },
  });
}

/**
 * What the table holds, read by the SDK's own store, which queries it directly. (No second
 * connection: the store holds the file exclusively, by design.)
 */
async function committed(taskId: string, context = alice): Promise<Task | undefined> {
  return new DatabaseTaskStore(store.db).load(taskId, withOwner(context));
}

function withOwner(context: ServerCallContext): ServerCallContext {
  const user = context.user as WardenUser;
  // The SDK's default owner resolver reads `userName`, which WardenUser sets to the owner key.
  return new ServerCallContext({ user: { isAuthenticated: true, userName: user.ownerKey } });
}

describe('SQLite task store', () => {
  it('stores tasks in the SDK row format: DatabaseTaskStore reads and lists them unchanged', async () => {
    const saved = task('t-1', TaskState.TASK_STATE_COMPLETED);
    await store.tasks.save(saved, alice);

    expect(await store.tasks.load('t-1', alice)).toEqual(saved);
    expect(await committed('t-1')).toEqual(saved);
    const listed = await new DatabaseTaskStore(store.db).list(
      { includeArtifacts: true } as never,
      withOwner(alice),
    );
    expect(listed.tasks).toEqual([saved]);
  });

  it('scopes every task by owner: another caller cannot load it, running or done', async () => {
    await store.tasks.save(task('t-2', TaskState.TASK_STATE_WORKING), alice);
    await store.tasks.save(task('t-3', TaskState.TASK_STATE_COMPLETED), alice);

    expect(await store.tasks.load('t-2', bob)).toBeUndefined();
    expect(await store.tasks.load('t-3', bob)).toBeUndefined();
    expect(await store.tasks.load('t-2', alice)).toBeDefined();
  });

  it('commits a final state before save resolves', async () => {
    await store.tasks.save(task('t-4', TaskState.TASK_STATE_COMPLETED), alice);

    expect((await committed('t-4'))?.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it('commits a state that waits on a person (auth required) before save resolves', async () => {
    await store.tasks.save(task('t-5', TaskState.TASK_STATE_AUTH_REQUIRED), alice);

    expect((await committed('t-5'))?.status?.state).toBe(TaskState.TASK_STATE_AUTH_REQUIRED);
  });

  it('serves an intermediate state from memory at once and commits it shortly after', async () => {
    await store.tasks.save(task('t-6', TaskState.TASK_STATE_WORKING), alice);

    expect((await store.tasks.load('t-6', alice))?.status?.state).toBe(
      TaskState.TASK_STATE_WORKING,
    );
    await expect.poll(() => committed('t-6'), { timeout: 5_000 }).toBeDefined();
  });

  it('writes one row for a task that goes from submitted to completed in one turn', async () => {
    const before = await changes();

    await Promise.all([
      store.tasks.save(task('t-7', TaskState.TASK_STATE_SUBMITTED), alice),
      store.tasks.save(task('t-7', TaskState.TASK_STATE_WORKING), alice),
      store.tasks.save(task('t-7', TaskState.TASK_STATE_COMPLETED, 'done'), alice),
    ]);

    expect((await changes()) - before).toBe(1);
    expect((await committed('t-7'))?.metadata).toEqual({ note: 'done' });
  });

  it('hands out copies: changing a loaded task changes nothing stored', async () => {
    await store.tasks.save(task('t-8', TaskState.TASK_STATE_WORKING), alice);

    const loaded = await store.tasks.load('t-8', alice);
    loaded?.history.push({ messageId: 'intruder' } as never);

    expect((await store.tasks.load('t-8', alice))?.history).toHaveLength(1);
  });

  it('lists tasks whose intermediate state is not committed yet', async () => {
    await store.tasks.save(task('t-9', TaskState.TASK_STATE_SUBMITTED), alice);

    const listed = await store.tasks.list({} as never, alice);
    expect(listed.tasks.map((t) => t.id)).toEqual(['t-9']);
  });

  it('writes what is queued when it closes', async () => {
    await store.tasks.save(task('t-10', TaskState.TASK_STATE_WORKING), alice);
    await store.close();

    store = await openSqliteStore(file);
    expect((await store.tasks.load('t-10', alice))?.status?.state).toBe(
      TaskState.TASK_STATE_WORKING,
    );
  });

  it('rejects a save whose commit fails, and keeps serving', async () => {
    await store.tasks.save(task('t-11', TaskState.TASK_STATE_WORKING), alice);
    await sqlite('ALTER TABLE tasks RENAME TO tasks_gone');

    await expect(
      store.tasks.save(task('t-11', TaskState.TASK_STATE_COMPLETED), alice),
    ).rejects.toThrow(/tasks/);
    // The last state that was saved is still what a load returns.
    expect((await store.tasks.load('t-11', alice))?.status?.state).toBe(
      TaskState.TASK_STATE_WORKING,
    );
    await sqlite('ALTER TABLE tasks_gone RENAME TO tasks');
  });

  it('refuses a second opener of the same file, naming store.path', async () => {
    const second = openSqliteStore(file);

    await expect(second).rejects.toThrow(WardenError);
    await expect(second).rejects.toThrow(/store\.path: .*warden\.db is in use/);
  }, 15_000);
});

// Rows inserted or updated on the store's connection so far.
async function changes(): Promise<number> {
  const { rows } = await sql.raw<{ n: number }>('SELECT total_changes() AS n').execute(store.db);
  return rows[0]?.n ?? 0;
}

async function sqlite(statement: string): Promise<void> {
  await sql.raw(statement).execute(store.db);
}
