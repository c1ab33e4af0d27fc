import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { DevIdp } from '../src/devidp/index.js';
import {
  ALL_SCOPES,
  SUPPORT_CARD,
  clientToken,
  freePort,
  startIdp,
  startWarden,
  type TestWarden,
} from './support/harness.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-card-'));
let idp: DevIdp;
let warden: TestWarden;
let url: string;

// The card source with `support.orders.read` removed from the refunds skill only.
const editedCard = path.join(dir, 'card.yaml');

beforeAll(async () => {
  const source = readFileSync(SUPPORT_CARD, 'utf8');
  const edited = source.replace(
    'scopes: [support.refunds.write, support.orders.read]',
    'scopes: [support.refunds.write]',
  );
  expect(edited).not.toBe(source);
  writeFileSync(editedCard, edited);

  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  idp = await startIdp([url]);
  warden = await startWarden({ idp, port, agentCard: editedCard });
});

afterAll(async () => {
  await warden?.close();
  await idp?.close();
  rmSync(dir, { recursive: true, force: true });
});

function invoke(token: string, skill: string, args: Record<string, unknown>) {
  const message = {
    messageId: crypto.randomUUID(),
    role: 'ROLE_USER',
    parts: [{ data: { skill, ...args } }],
  };
  return request(url)
    .post('/a2a/jsonrpc')
    .set('A2A-Version', '1.0')
    .set('Authorization', `Bearer ${token}`)
    .send({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message } });
}

describe('the card is the table that is enforced', () => {
  it('declares for each skill exactly the scopes of its source', async () => {
    const card = (await request(url).get('/.well-known/agent-card.json')).body;
    const refunds = card.skills.find((s: { id: string }) => s.id === 'refunds');

    expect(refunds.securityRequirements[0].schemes.oidc.list).toEqual(['support.refunds.write']);
  });

  it('no longer requires a scope removed from the card source', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ['support.refunds.write'], url);
    const res = await invoke(token, 'refunds', { orderId: 'o-1001', amount: 1 });

    expect(res.status).toBe(200);
    expect(res.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
  });

  it('no longer accepts a scope removed from a skill as enough for it', async () => {
    const token = await clientToken(
      idp,
      'peer-agent-a',
      ALL_SCOPES.filter((s) => s !== 'support.refunds.write'),
      url,
    );
    const res = await invoke(token, 'refunds', { orderId: 'o-1001', amount: 1 });

    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toContain('scope="support.refunds.write"');
  });
});
