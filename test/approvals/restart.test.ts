import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIdp } from '../../src/devidp/index.js';
import { freePort } from '../support/harness.js';
import { SupportData } from '../../examples/support-agent/data.js';
import { createSupportAgent } from '../../examples/support-agent/agent.js';
import {
  approvalsApi,
  rpc,
  sendSkill,
  startApprovalIdp,
  startPolicyWarden,
  statusParts,
  tokensFor,
  waitForStateChange,
} from './fixture.js';

let idp: DevIdp;
let port: number;
let url: string;
let tokens: Awaited<ReturnType<typeof tokensFor>>;
const dataDirs: string[] = [];

beforeAll(async () => {
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  idp = await startApprovalIdp(url);
  tokens = await tokensFor(idp, url);
});

afterAll(async () => {
  await idp?.close();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** Holds a refund, stops Warden, starts a new one on the same data: the held run is gone. */
async function holdThenRestart() {
  const first = await startPolicyWarden({ idp, port });
  dataDirs.push(first.dataDir);
  const task = await sendSkill(url, tokens.peerA, 'refunds', { orderId: 'o-1001', amount: 75 });
  const { approval } = statusParts(task).data as { approval: { id: string } };
  await first.close({ keepData: true });

  const data = new SupportData();
  const second = await startPolicyWarden({
    idp,
    port,
    dataDir: first.dataDir,
    agent: createSupportAgent(data),
  });
  return { task, approvalId: approval.id, second, data };
}

describe('approvals across a restart', () => {
  it('keeps the task waiting, and resumes it from the stored approval when approved', async () => {
    const { task, approvalId, second, data } = await holdThenRestart();
    try {
      const waiting = await rpc(url, tokens.peerA, 'GetTask', { id: task.id });
      expect(waiting.body.result).toMatchObject({ status: { state: 'TASK_STATE_AUTH_REQUIRED' } });

      const approved = await approvalsApi(url, tokens.operator, `/${approvalId}/approve`, {});
      let final = await waitForStateChange(url, tokens.peerA, task.id, 'TASK_STATE_AUTH_REQUIRED');
      if (final.status.state === 'TASK_STATE_WORKING')
        final = await waitForStateChange(url, tokens.peerA, task.id, 'TASK_STATE_WORKING');

      expect(approved.status).toBe(200);
      expect(final.status.state).toBe('TASK_STATE_COMPLETED');
      expect(data.refunds).toEqual([expect.objectContaining({ orderId: 'o-1001', amount: 75 })]);
      expect(
        (await approvalsApi(url, tokens.operator, `/${approvalId}`)).body['approval'],
      ).toMatchObject({ status: 'consumed' });
    } finally {
      await second.close({ keepData: true });
    }
  });

  it('ends the task rejected when denied after the restart', async () => {
    const { task, approvalId, second, data } = await holdThenRestart();
    try {
      await approvalsApi(url, tokens.operator, `/${approvalId}/deny`, { reason: 'not covered' });
      const final = await waitForStateChange(
        url,
        tokens.peerA,
        task.id,
        'TASK_STATE_AUTH_REQUIRED',
      );

      expect(final.status.state).toBe('TASK_STATE_REJECTED');
      expect(statusParts(final).text).toBe('tool "issue-refund" was not approved: not covered.');
      expect(data.refunds).toEqual([]);
    } finally {
      await second.close({ keepData: true });
    }
  });

  it('answers 409 for a task canceled while no run waited', async () => {
    const { task, approvalId, second } = await holdThenRestart();
    try {
      await rpc(url, tokens.peerA, 'CancelTask', { id: task.id });
      const response = await approvalsApi(url, tokens.operator, `/${approvalId}/approve`, {});

      expect(response.status).toBe(409);
      expect(response.body['error']).toMatchObject({
        message: `task ${task.id} no longer waits for approval ${approvalId}`,
      });
    } finally {
      await second.close({ keepData: true });
    }
  });
});
