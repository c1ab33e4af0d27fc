import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditFiles } from '../../src/audit/verify.js';
import type { DevIdp } from '../../src/devidp/index.js';
import { createSupportAgent } from '../../examples/support-agent/agent.js';
import { SupportData } from '../../examples/support-agent/data.js';
import {
  ALL_SCOPES,
  clientToken,
  freePort,
  startIdp,
  startWarden,
  userToken,
  type TestWarden,
} from '../support/harness.js';
import { captureLogger, entriesOf } from './support.js';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

let idp: DevIdp;
let warden: TestWarden;
let url: string;
let aliceToken: string;

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  idp = await startIdp([url]);
  warden = await startWarden({ idp, port, overrides: { metrics: { bearerToken: METRICS_TOKEN } } });
  aliceToken = await userToken(idp, 'peer-agent-a', 'alice', ALL_SCOPES, url);
});

afterAll(async () => {
  await warden?.close();
  await idp?.close();
});

/** POSTs a JSON-RPC call with a request id of the test's choosing. */
async function send(
  base: string,
  token: string,
  requestId: string,
  data: Record<string, unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const message = { messageId: crypto.randomUUID(), role: 'ROLE_USER', parts: [{ data }] };
  const res = await fetch(`${base}/a2a/jsonrpc`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'a2a-version': '1.0',
      'content-type': 'application/json',
      'x-request-id': requestId,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'SendMessage', params: { message } }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const auditFile = (running: TestWarden) => path.join(running.dataDir, 'audit.jsonl');
const ofRequest = (running: TestWarden, requestId: string) =>
  entriesOf(auditFile(running)).filter((e) => e.requestId === requestId);

describe("Warden's audit trail", () => {
  it('records a task from creation to completion, tool call included, under the request id', async () => {
    const answer = await send(url, aliceToken, 'req-audit-1', {
      skill: 'order-history',
      customerId: 'alice',
    });
    expect(answer.status).toBe(200);

    const entries = ofRequest(warden, 'req-audit-1');
    // The SDK persists a task while the skill already runs, so a tool called at once may come first.
    const tasks = entries.filter((e) => e.event.startsWith('task.'));
    const [tool] = entries.filter((e) => e.event === 'tool.completed');
    expect(tasks.map((e) => [e.event, e.outcome])).toEqual([
      ['task.created', 'TASK_STATE_SUBMITTED'],
      ['task.state_changed', 'TASK_STATE_WORKING'],
      ['task.state_changed', 'TASK_STATE_COMPLETED'],
    ]);
    expect(tasks[0]).toMatchObject({
      skill: 'order-history',
      parameters: { customerId: 'alice' },
      agent: 'peer-agent-a',
      user: 'alice',
      actors: ['peer-agent-a'],
      issuer: idp.issuer,
    });
    expect(tasks[0]?.tokenId).toEqual(expect.any(String));
    expect(tool).toMatchObject({ tool: 'list-orders', taskId: tasks[0]?.taskId, outcome: 'ok' });
    expect(tool?.durationMs).toEqual(expect.any(Number));
    expect(tasks[2]?.detail).toEqual({ from: 'TASK_STATE_WORKING', to: 'TASK_STATE_COMPLETED' });
  });

  it('records refused tokens and refused scopes, and never writes a token', async () => {
    const readOnly = await clientToken(idp, 'peer-agent-b', ['support.orders.read'], url);
    await send(url, 'not-a-token', 'req-audit-2', { skill: 'order-history', customerId: 'alice' });
    await send(url, readOnly, 'req-audit-3', { skill: 'refunds', orderId: 'o-1001', amount: 1 });

    expect(ofRequest(warden, 'req-audit-2')).toEqual([
      expect.objectContaining({ event: 'token.rejected', outcome: expect.stringMatching(/^ERR_/) }),
    ]);
    expect(ofRequest(warden, 'req-audit-3')).toEqual([
      expect.objectContaining({
        event: 'scope.denied',
        agent: 'peer-agent-b',
        skill: 'refunds',
        decision: 'deny',
      }),
    ]);
    expect(readFileSync(auditFile(warden), 'utf8')).not.toContain('eyJ');
  });

  it('keeps a chain that verifies', async () => {
    const report = await verifyAuditFiles({ files: [auditFile(warden)] });

    expect(report.problem).toBeUndefined();
    expect(report.entries).toBeGreaterThanOrEqual(6);
  });
});

describe('/metrics', () => {
  it('answers 401 without the configured bearer token', async () => {
    const res = await fetch(`${url}/metrics`);

    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
  });

  it('serves auth failures, decisions, token cache, JWKS, audit and process metrics', async () => {
    const res = await fetch(`${url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    const text = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(text).toMatch(/^warden_auth_failures_total\{reason="ERR_[A-Z_]+"\} [1-9]/m);
    expect(text).toMatch(
      /^warden_authz_decisions_total\{action="skill:refunds",outcome="deny"\} 1/m,
    );
    expect(text).toMatch(/^warden_audit_entries_total\{event="tool.completed"\} [1-9]/m);
    expect(text).toMatch(/^warden_audit_write_duration_seconds_count [1-9]/m);
    expect(text).toMatch(/^warden_token_cache_lookups_total\{result="miss"\} [1-9]/m);
    expect(text).toMatch(
      /^warden_jwks_refreshes_total\{issuer="http:\/\/127\.0\.0\.1:\d+"\} [1-9]/m,
    );
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });
});

describe('when the audit trail cannot be written', () => {
  let broken: TestWarden;
  let brokenIdp: DevIdp;
  let brokenUrl: string;
  let data: SupportData;
  const { logger, lines } = captureLogger();

  beforeAll(async () => {
    const port = await freePort();
    brokenUrl = `http://127.0.0.1:${port}`;
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'warden-audit-broken-'));
    // Rotating after the first entry needs this name free: a directory there makes rename fail,
    // a real file system error in the middle of a request.
    mkdirSync(path.join(dataDir, 'audit.000000000001.jsonl'));
    writeFileSync(path.join(dataDir, 'audit.000000000001.jsonl', 'keep'), '');
    data = new SupportData();
    brokenIdp = await startIdp([brokenUrl]);
    broken = await startWarden({
      idp: brokenIdp,
      port,
      dataDir,
      agent: createSupportAgent(data),
      logger,
      overrides: { audit: { rotateBytes: 1 } },
    });
  });

  afterAll(async () => {
    await broken?.close();
    await brokenIdp?.close();
  });

  it('fails closed: 503 from the request it fails in on, no refund, /readyz failing, one log line', async () => {
    const token = await userToken(brokenIdp, 'peer-agent-a', 'alice', ALL_SCOPES, brokenUrl);
    const refund = { skill: 'refunds', orderId: 'o-1001', amount: 5, reason: 'damaged' };

    // The trail fails while serving the first request (after its first entry).
    const first = await send(brokenUrl, token, 'req-broken-1', {
      skill: 'order-history',
      customerId: 'alice',
    });
    const second = await send(brokenUrl, token, 'req-broken-2', refund);

    for (const answer of [first, second]) {
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({
        error: {
          code: -31503,
          message: 'temporarily unavailable: the audit trail cannot be written',
        },
      });
    }
    expect(data.refunds).toEqual([]);
    expect((await fetch(`${brokenUrl}/readyz`)).status).toBe(503);
    expect(
      lines().filter((l) => l['level'] === 'error' && l['code'] === 'WARDEN_AUDIT_UNAVAILABLE'),
    ).toHaveLength(1);
    const written = path.join(broken.dataDir, 'audit.jsonl');
    expect((await verifyAuditFiles({ files: [written] })).problem).toBeUndefined();
  });
});
