import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { DevIdp } from '../src/devidp/index.js';
import {
  ALL_SCOPES,
  clientToken,
  freePort,
  startIdp,
  startWarden,
  userToken,
  type TestWarden,
} from './support/harness.js';

let idp: DevIdp;
let warden: TestWarden;
let url: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  idp = await startIdp([url]);
  warden = await startWarden({ idp, port });
  tokens['agentA'] = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
  tokens['agentB'] = await clientToken(idp, 'peer-agent-b', ALL_SCOPES, url);
  tokens['agentAForAlice'] = await userToken(idp, 'peer-agent-a', 'alice', ALL_SCOPES, url);
  tokens['agentAForBob'] = await userToken(idp, 'peer-agent-a', 'bob', ALL_SCOPES, url);
});

afterAll(async () => {
  await warden?.close();
  await idp?.close();
});

function call(token: string, method: string, params: Record<string, unknown>) {
  return request(url)
    .post('/a2a/jsonrpc')
    .set('A2A-Version', '1.0')
    .set('Authorization', `Bearer ${token}`)
    .send({ jsonrpc: '2.0', id: 1, method, params });
}

async function createTask(token: string): Promise<string> {
  const message = {
    messageId: crypto.randomUUID(),
    role: 'ROLE_USER',
    parts: [{ data: { skill: 'customer-profile', customerId: 'alice' } }],
  };
  const res = await call(token, 'SendMessage', { message });
  return res.body.result.task.id as string;
}

// A2A §13.1: another caller's task answers exactly as an unknown id does.
describe.each([
  ['another agent', 'agentA', 'agentB'],
  ['the same agent acting for another user', 'agentAForAlice', 'agentAForBob'],
  ['the agent itself, without the user it acted for', 'agentAForAlice', 'agentA'],
])('a task is invisible to %s', (_name, owner, other) => {
  let taskId: string;

  beforeAll(async () => {
    taskId = await createTask(tokens[owner] ?? '');
  });

  it('GetTask answers -32001, as for an unknown id', async () => {
    const theirs = await call(tokens[other] ?? '', 'GetTask', { id: taskId });
    const unknown = await call(tokens[other] ?? '', 'GetTask', { id: crypto.randomUUID() });

    expect(theirs.body.error.code).toBe(-32001);
    expect(theirs.status).toBe(unknown.status);
    expect(theirs.body.error.code).toBe(unknown.body.error.code);
  });

  it('CancelTask answers -32001', async () => {
    const res = await call(tokens[other] ?? '', 'CancelTask', { id: taskId });
    expect(res.body.error.code).toBe(-32001);
  });

  it('SubscribeToTask answers -32001', async () => {
    const res = await call(tokens[other] ?? '', 'SubscribeToTask', { id: taskId });
    expect(res.body.error.code).toBe(-32001);
  });

  it('SendMessage naming the task answers -32001', async () => {
    const message = {
      messageId: crypto.randomUUID(),
      role: 'ROLE_USER',
      taskId,
      parts: [{ text: 'hello' }],
    };
    const res = await call(tokens[other] ?? '', 'SendMessage', { message });
    expect(res.body.error.code).toBe(-32001);
  });

  it('ListTasks omits it, while the owner still sees it', async () => {
    const theirs = await call(tokens[other] ?? '', 'ListTasks', {});
    const mine = await call(tokens[owner] ?? '', 'ListTasks', {});

    expect(theirs.body.result.tasks?.map((t: { id: string }) => t.id) ?? []).not.toContain(taskId);
    expect(mine.body.result.tasks.map((t: { id: string }) => t.id)).toContain(taskId);
  });
});

describe('task ids', () => {
  it('are random UUIDs, not sequential', async () => {
    const ids = [
      await createTask(tokens['agentA'] ?? ''),
      await createTask(tokens['agentA'] ?? ''),
    ];
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });
});
