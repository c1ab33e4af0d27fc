import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, TaskState, type Message } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import type { DevIdp } from '../src/devidp/index.js';
import {
  REPO,
  a2aClient,
  clientToken,
  freePort,
  startIdp,
  startWarden,
  type TestWarden,
} from './support/harness.js';
import { createSlowAgent } from './fixtures/slow-agent.js';

const slow = createSlowAgent();
let idp: DevIdp;
let warden: TestWarden;
let client: Client;

beforeAll(async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  idp = await startIdp([url], { scopes: ['test.hold'] });
  warden = await startWarden({
    idp,
    port,
    agent: slow.agent,
    agentCard: path.join(REPO, 'test/fixtures/slow-card.yaml'),
  });
  client = await a2aClient(url, await clientToken(idp, 'peer-agent-a', ['test.hold'], url));
});

afterAll(async () => {
  slow.release();
  await warden?.close();
  await idp?.close();
});

function holdMessage(): Message {
  return {
    messageId: crypto.randomUUID(),
    contextId: '',
    taskId: '',
    role: Role.ROLE_USER,
    parts: [
      {
        content: { $case: 'data', value: { skill: 'hold' } },
        mediaType: 'application/json',
        filename: '',
        metadata: {},
      },
    ],
    metadata: {},
    extensions: [],
    referenceTaskIds: [],
  };
}

async function startHeldTask(): Promise<string> {
  const configuration = {
    acceptedOutputModes: [],
    taskPushNotificationConfig: undefined,
    returnImmediately: true,
  };
  const result = await client.sendMessage({
    message: holdMessage(),
    configuration,
    metadata: {},
    tenant: '',
  });
  if (!('status' in result)) throw new Error('expected a task');
  expect([TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING]).toContain(
    result.status?.state,
  );
  return result.id;
}

describe('long-running tasks through the official SDK client', () => {
  it('CancelTask cancels a working task', async () => {
    const id = await startHeldTask();
    const canceled = await client.cancelTask({ id, tenant: '', metadata: {} });

    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect((await client.getTask({ id, tenant: '', historyLength: undefined })).status?.state).toBe(
      TaskState.TASK_STATE_CANCELED,
    );
  });

  it('SubscribeToTask follows a working task to completion', async () => {
    const id = await startHeldTask();
    const states: TaskState[] = [];
    const following = (async () => {
      for await (const event of client.resubscribeTask({ id, tenant: '' })) {
        if (event.payload?.$case === 'statusUpdate')
          states.push(event.payload.value.status?.state ?? 0);
        if (event.payload?.$case === 'task') states.push(event.payload.value.status?.state ?? 0);
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, 100));
    slow.release();
    await following;
    expect(states.at(-1)).toBe(TaskState.TASK_STATE_COMPLETED);
  });
});
