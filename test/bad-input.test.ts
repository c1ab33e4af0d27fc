import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { DevIdp } from '../src/devidp/index.js';
import {
  ALL_SCOPES,
  clientToken,
  freePort,
  startIdp,
  startWarden,
  type TestWarden,
} from './support/harness.js';

let idp: DevIdp;
let warden: TestWarden;
let url: string;
let token: string;

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  idp = await startIdp([url]);
  warden = await startWarden({ idp, port, overrides: { server: { port, bodyLimitBytes: 4096 } } });
  token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
});

afterAll(async () => {
  await warden?.close();
  await idp?.close();
});

function post(
  body: string | object,
  contentType = 'application/json',
  version: string | null = '1.0',
) {
  const call = request(url)
    .post('/a2a/jsonrpc')
    .set('Authorization', `Bearer ${token}`)
    .set('Content-Type', contentType);
  return (version === null ? call : call.set('A2A-Version', version)).send(
    typeof body === 'string' ? body : JSON.stringify(body),
  );
}

async function taskCount(): Promise<number> {
  const res = await post({ jsonrpc: '2.0', id: 1, method: 'ListTasks', params: {} });
  return res.body.result.tasks?.length ?? 0;
}

describe('bad input gets a JSON-RPC error, never a 500, and writes nothing', () => {
  it.each([
    ['malformed JSON', () => post('{"jsonrpc": "2.0", "method": '), 400, -32700],
    [
      'an oversized body',
      () =>
        post({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { pad: 'x'.repeat(8000) } }),
      413,
      -32600,
    ],
    ['a wrong content type', () => post('hello', 'text/plain'), 415, -32005],
    [
      'an unknown method',
      () => post({ jsonrpc: '2.0', id: 1, method: 'StealTasks', params: {} }),
      200,
      -32601,
    ],
    [
      'a 0.3 method name',
      () => post({ jsonrpc: '2.0', id: 1, method: 'message/send', params: {} }),
      200,
      -32601,
    ],
    [
      'a missing message',
      () => post({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: {} }),
      200,
      -32602,
    ],
    [
      'an unsupported A2A-Version',
      () =>
        post({ jsonrpc: '2.0', id: 1, method: 'ListTasks', params: {} }, 'application/json', '0.5'),
      200,
      -32009,
    ],
    [
      'no A2A-Version (read as 0.3)',
      () =>
        post({ jsonrpc: '2.0', id: 1, method: 'ListTasks', params: {} }, 'application/json', null),
      200,
      -32009,
    ],
  ])('%s', async (_name, send, status, code) => {
    const before = await taskCount();
    const res = await send();

    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ jsonrpc: '2.0', error: { code } });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(js|ts):\d+/);
    expect(await taskCount()).toBe(before);
  });
});
