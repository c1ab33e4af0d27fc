import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { DevIdp } from '../src/devidp/index.js';
import { ALL_SCOPES, clientToken, freePort, startIdp, startWarden } from './support/harness.js';

let idp: DevIdp;
let port: number;
let url: string;
let dataDir: string | undefined;

beforeAll(async () => {
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  idp = await startIdp([url]);
});

afterAll(async () => {
  await idp?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function call(token: string, method: string, params: Record<string, unknown>) {
  return request(url)
    .post('/a2a/jsonrpc')
    .set('A2A-Version', '1.0')
    .set('Authorization', `Bearer ${token}`)
    .send({ jsonrpc: '2.0', id: 1, method, params });
}

describe('the embedded store', () => {
  it('keeps tasks, and their owner, across a restart', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
    const first = await startWarden({ idp, port });
    dataDir = first.dataDir;
    const message = {
      messageId: crypto.randomUUID(),
      role: 'ROLE_USER',
      parts: [{ data: { skill: 'order-history', customerId: 'bob' } }],
    };
    const created = await call(token, 'SendMessage', { message });
    const taskId: string = created.body.result.task.id;
    await first.close({ keepData: true });

    const second = await startWarden({ idp, port, dataDir });
    try {
      const fetched = await call(token, 'GetTask', { id: taskId });
      expect(fetched.body.result).toMatchObject({
        id: taskId,
        status: { state: 'TASK_STATE_COMPLETED' },
      });

      const stranger = await clientToken(idp, 'peer-agent-b', ALL_SCOPES, url);
      expect((await call(stranger, 'GetTask', { id: taskId })).body.error.code).toBe(-32001);
    } finally {
      await second.close({ keepData: true });
    }
  });
});
