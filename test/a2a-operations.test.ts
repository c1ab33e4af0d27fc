import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, TaskState, type Message, type Task } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import type { DevIdp } from '../src/devidp/index.js';
import {
  ALL_SCOPES,
  a2aClient,
  clientToken,
  freePort,
  startIdp,
  startWarden,
  type TestWarden,
} from './support/harness.js';

let idp: DevIdp;
let warden: TestWarden;
let token: string;

beforeAll(async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  idp = await startIdp([url]);
  warden = await startWarden({ idp, port });
  token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
});

afterAll(async () => {
  await warden?.close();
  await idp?.close();
});

function skillMessage(data: Record<string, unknown>, extra: Partial<Message> = {}): Message {
  return {
    messageId: crypto.randomUUID(),
    contextId: '',
    taskId: '',
    role: Role.ROLE_USER,
    parts: [
      {
        content: { $case: 'data', value: data },
        mediaType: 'application/json',
        filename: '',
        metadata: {},
      },
    ],
    metadata: {},
    extensions: [],
    referenceTaskIds: [],
    ...extra,
  };
}

/** A SendMessage request invoking a skill with `data`, every other field left at its default. */
function sendRequest(data: Record<string, unknown>) {
  return { message: skillMessage(data), configuration: undefined, metadata: {}, tenant: '' };
}

function asTask(result: Message | Task): Task {
  if (!('status' in result)) throw new Error('expected a task');
  return result;
}

describe.each(['JSONRPC', 'HTTP+JSON'] as const)('the official SDK client over %s', (binding) => {
  let client: Client;

  beforeAll(async () => {
    client = await a2aClient(warden.url, token, binding);
  });

  it('SendMessage runs a skill to a completed task with its result as an artifact', async () => {
    const result = await client.sendMessage(
      sendRequest({ skill: 'order-history', customerId: 'alice' }),
    );

    const task = asTask(result);
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const data = task.artifacts[0]?.parts.find((p) => p.content?.$case === 'data')?.content;
    expect(data?.$case === 'data' && data.value).toMatchObject({
      orders: [{ id: 'o-1001' }, { id: 'o-1002' }],
    });
  });

  it('SendStreamingMessage streams the task from submitted to completed', async () => {
    const events = [];
    const stream = client.sendMessageStream(
      sendRequest({ skill: 'customer-profile', customerId: 'bob' }),
    );
    for await (const event of stream) events.push(event.payload?.$case);

    expect(events[0]).toBe('task');
    expect(events).toContain('artifactUpdate');
    expect(events.at(-1)).toBe('statusUpdate');
  });

  it("GetTask and ListTasks return the caller's tasks", async () => {
    const created = asTask(
      await client.sendMessage(sendRequest({ skill: 'customer-profile', customerId: 'alice' })),
    );

    const fetched = await client.getTask({ id: created.id, historyLength: undefined, tenant: '' });
    expect(fetched.id).toBe(created.id);
    expect(fetched.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);

    const listed = await client.listTasks({
      tenant: '',
      contextId: '',
      status: 0,
      pageSize: 100,
      pageToken: '',
      historyLength: undefined,
      statusTimestampAfter: undefined,
      includeArtifacts: false,
    });
    expect(listed.tasks.map((t) => t.id)).toContain(created.id);
  });

  it('CancelTask cancels a task still waiting, and a completed task is not cancelable', async () => {
    const done = asTask(
      await client.sendMessage(sendRequest({ skill: 'customer-profile', customerId: 'alice' })),
    );

    await expect(client.cancelTask({ id: done.id, tenant: '', metadata: {} })).rejects.toThrow(
      /not cancelable/i,
    );
  });

  it('SubscribeToTask on a finished task answers an error rather than hanging', async () => {
    const done = asTask(
      await client.sendMessage(sendRequest({ skill: 'customer-profile', customerId: 'alice' })),
    );

    const subscribe = async () => {
      for await (const _event of client.resubscribeTask({ id: done.id, tenant: '' })) {
        // draining
      }
    };
    await expect(subscribe()).rejects.toThrow();
  });

  it('GetExtendedAgentCard returns the signed extended card to an authenticated caller', async () => {
    const card = await client.getAgentCard();
    expect(card.name).toBe('Warden Support Agent');
    expect(card.signatures.length).toBe(1);
  });
});
