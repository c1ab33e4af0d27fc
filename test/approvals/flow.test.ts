import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, TaskState, type Message } from '@a2a-js/sdk';
import type { DevIdp } from '../../src/devidp/index.js';
import { REPO, a2aClient, freePort, type TestWarden } from '../support/harness.js';
import { formatApproval } from '../../src/cli/approvals.js';
import type { Approval } from '../../src/approvals/approval.js';
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
let warden: TestWarden;
let url: string;
let tokens: Awaited<ReturnType<typeof tokensFor>>;

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  idp = await startApprovalIdp(url);
  warden = await startPolicyWarden({ idp, port });
  tokens = await tokensFor(idp, url);
});

afterAll(async () => {
  await warden?.close();
  await idp?.close();
});

const bigRefund = { orderId: 'o-1001', amount: 60, reason: 'damaged' };

async function holdRefund(token = tokens.peerA) {
  const task = await sendSkill(url, token, 'refunds', bigRefund);
  const { data } = statusParts(task);
  const approval = (data as { approval: { id: string; inputHash: string } }).approval;
  return { task, approvalId: approval.id, inputHash: approval.inputHash };
}

describe('policy decisions over A2A', () => {
  it('completes a task policy allows', async () => {
    const task = await sendSkill(url, tokens.peerA, 'refunds', { orderId: 'o-1002', amount: 20 });

    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
  });

  it('rejects a task whose tool call policy denies, naming the action only', async () => {
    const task = await sendSkill(url, tokens.bobViaA, 'customer-profile', { customerId: 'alice' });

    expect(task.status.state).toBe('TASK_STATE_REJECTED');
    expect(statusParts(task).text).toBe('policy denies tool "lookup-customer"');
  });
});

describe('a call held for approval (A2A §7.6)', () => {
  it('returns the blocking SendMessage at AUTH_REQUIRED, saying what waits for whom', async () => {
    const { task, approvalId } = await holdRefund();
    const { text, data } = statusParts(task);

    expect(task.status.state).toBe('TASK_STATE_AUTH_REQUIRED');
    expect(text).toContain(
      'Waiting for approval: tool "issue-refund" needs a decision by "manager"',
    );
    expect(text).toContain(`approval ${approvalId}, requested by peer-agent-a`);
    expect(data).toMatchObject({
      approval: { action: 'issue-refund', approverRoles: ['manager'] },
    });
  });

  it('lists and shows the exact input and its hash to an operator', async () => {
    const { approvalId, inputHash } = await holdRefund();

    const listed = await approvalsApi(url, tokens.operator, '?status=pending');
    const shown = await approvalsApi(url, tokens.operator, `/${approvalId}`);

    expect(listed.status).toBe(200);
    expect((listed.body['approvals'] as { id: string }[]).map((a) => a.id)).toContain(approvalId);
    expect(shown.body['approval']).toMatchObject({
      id: approvalId,
      status: 'pending',
      action: { kind: 'tool', name: 'issue-refund' },
      input: { orderId: 'o-1001', amount: 60, reason: 'damaged', requestedBy: 'peer-agent-a' },
      inputHash,
      requester: { agent: 'peer-agent-a' },
      approverRoles: ['manager'],
      policies: ['support.refunds.large'],
    });
  });

  it('runs the call once approved, after deciding it again, using the approval once', async () => {
    const { task, approvalId, inputHash } = await holdRefund();

    const approved = await approvalsApi(url, tokens.operator, `/${approvalId}/approve`, {
      inputHash,
      reason: 'ok',
    });
    const done = await waitForStateChange(url, tokens.peerA, task.id, 'TASK_STATE_AUTH_REQUIRED');
    const final =
      done.status.state === 'TASK_STATE_WORKING'
        ? await waitForStateChange(url, tokens.peerA, task.id, 'TASK_STATE_WORKING')
        : done;
    const again = await approvalsApi(url, tokens.operator, `/${approvalId}/approve`, {});

    expect(approved.status).toBe(200);
    expect(approved.body['approval']).toMatchObject({
      status: 'approved',
      decision: { approver: 'operator', role: 'manager' },
    });
    expect(final.status.state).toBe('TASK_STATE_COMPLETED');
    expect(final.artifacts?.[0]?.parts[1]?.data).toMatchObject({
      refund: { orderId: 'o-1001', amount: 60 },
    });
    expect(again.status).toBe(409);
    expect(
      (await approvalsApi(url, tokens.operator, `/${approvalId}`)).body['approval'],
    ).toMatchObject({ status: 'consumed' });
  });

  it("rejects the task with the approver's reason when denied", async () => {
    const { task, approvalId } = await holdRefund();

    const denied = await approvalsApi(url, tokens.operator, `/${approvalId}/deny`, {
      reason: 'refund limit reached',
    });
    const final = await waitForStateChange(url, tokens.peerA, task.id, 'TASK_STATE_AUTH_REQUIRED');

    expect(denied.status).toBe(200);
    expect(final.status.state).toBe('TASK_STATE_REJECTED');
    expect(statusParts(final).text).toBe(
      'tool "issue-refund" was not approved: refund limit reached.',
    );
  });

  it('refuses another message to the held task, and CancelTask withdraws the request', async () => {
    const { task, approvalId } = await holdRefund();
    const message = {
      messageId: crypto.randomUUID(),
      role: 'ROLE_USER',
      taskId: task.id,
      parts: [{ text: 'hurry' }],
    };

    const sent = await rpc(url, tokens.peerA, 'SendMessage', { message });
    const canceled = await rpc(url, tokens.peerA, 'CancelTask', { id: task.id });
    const approval = await approvalsApi(url, tokens.operator, `/${approvalId}`);

    expect(sent.status).toBe(409);
    expect(sent.body.error).toMatchObject({ code: -32004 });
    expect(sent.body.error?.message).toContain(`waits for approval ${approvalId}`);
    expect(canceled.body.result).toMatchObject({ status: { state: 'TASK_STATE_CANCELED' } });
    expect(approval.body['approval']).toMatchObject({ status: 'canceled' });
  });
});

describe('policy metrics', () => {
  it('counts pending approvals, decision-cache lookups and decision latency', async () => {
    await holdRefund();
    await sendSkill(url, tokens.peerA, 'refunds', { orderId: 'o-1002', amount: 1 });
    const text = await (await fetch(`${url}/metrics`)).text();

    expect(text).toMatch(/^warden_approvals_pending [1-9]/m);
    expect(text).toMatch(/^warden_decision_cache_lookups_total\{result="miss"\} [1-9]/m);
    expect(text).toMatch(/^warden_authz_decision_duration_seconds_count\{kind="tool"\} [1-9]/m);
  });
});

describe('the approvals API', () => {
  it('refuses a token without the operator scope (403 insufficient_scope)', async () => {
    const response = await approvalsApi(url, tokens.peerA, '');

    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('scope="warden.approvals"');
  });

  it('refuses an unauthenticated caller (401)', async () => {
    const response = await fetch(`${url}/approvals`);

    expect(response.status).toBe(401);
  });

  it.each([
    ['an operator without the role', 'peerB', 403, 'deciding approval <id> needs role "manager"'],
    [
      'the requester, though a manager',
      'managerAgent',
      403,
      'was requested by manager-agent, who cannot decide it',
    ],
  ] as const)('refuses a decision by %s', async (_name, who, status, message) => {
    const { approvalId } = await holdRefund(tokens.managerAgent);

    const response = await approvalsApi(url, tokens[who], `/${approvalId}/approve`, {});

    expect(response.status).toBe(status);
    expect(response.body['error']).toMatchObject({
      message: expect.stringContaining(message.replace('<id>', approvalId)),
    });
  });

  it('answers 404 for an unknown approval and 409 for another input hash', async () => {
    const { approvalId } = await holdRefund();

    const unknown = await approvalsApi(url, tokens.operator, '/no-such-id/approve', {});
    const otherInput = await approvalsApi(url, tokens.operator, `/${approvalId}/approve`, {
      inputHash: 'f'.repeat(64),
    });

    expect(unknown.status).toBe(404);
    expect(unknown.body['error']).toMatchObject({ message: 'no approval no-such-id' });
    expect(otherInput.status).toBe(409);
    expect(otherInput.body['error']).toMatchObject({
      message: expect.stringContaining('inputHash does not match'),
    });
  });
});

function refundMessage(amount: number): Message {
  return {
    messageId: crypto.randomUUID(),
    contextId: '',
    taskId: '',
    role: Role.ROLE_USER,
    parts: [
      {
        content: { $case: 'data', value: { skill: 'refunds', orderId: 'o-1001', amount } },
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

describe('a held call over SendStreamingMessage (official SDK client)', () => {
  it('keeps the stream open at AUTH_REQUIRED and follows the task to completion', async () => {
    const client = await a2aClient(url, tokens.peerA);
    const states: TaskState[] = [];
    const request = {
      message: refundMessage(90),
      configuration: undefined,
      metadata: {},
      tenant: '',
    };

    for await (const event of client.sendMessageStream(request)) {
      if (event.payload?.$case !== 'statusUpdate') continue;
      const status = event.payload.value.status;
      states.push(status?.state ?? TaskState.TASK_STATE_UNSPECIFIED);
      if (status?.state !== TaskState.TASK_STATE_AUTH_REQUIRED) continue;

      const data = status.message?.parts.find((p) => p.content?.$case === 'data')?.content;
      const id = (data?.value as { approval: { id: string } }).approval.id;
      const approved = await approvalsApi(url, tokens.operator, `/${id}/approve`, {});
      expect(approved.status).toBe(200);
    }

    expect(states).toEqual([
      TaskState.TASK_STATE_WORKING,
      TaskState.TASK_STATE_AUTH_REQUIRED,
      TaskState.TASK_STATE_WORKING,
      TaskState.TASK_STATE_COMPLETED,
    ]);
  });
});

describe('warden approvals (the CLI, a client of /approvals)', () => {
  it("lists and approves with a client-credentials token from the card's issuer", async () => {
    const { task, approvalId } = await holdRefund();
    const env = {
      WARDEN_URL: url,
      WARDEN_CLIENT_ID: 'operator',
      WARDEN_CLIENT_SECRET: 'operator-secret',
    };

    const listed = await runCli(['approvals', 'list', '--status', 'pending'], env);
    const approved = await runCli(['approvals', 'approve', approvalId, '--reason', 'checked'], env);
    const shown = formatApproval(
      (await approvalsApi(url, tokens.operator, `/${approvalId}`)).body['approval'] as Approval,
    );

    expect(listed.stdout).toMatch(
      new RegExp(`${approvalId}\\s+pending\\s+tool:issue-refund\\s+peer-agent-a\\s+manager`),
    );
    expect(approved).toMatchObject({
      code: 0,
      stdout: `approved ${approvalId} (tool "issue-refund")\n`,
    });
    expect(shown).toContain('decided by:     operator as manager');
    expect(shown).toContain('"amount": 60');
    expect(
      (await waitForStateChange(url, tokens.peerA, task.id, 'TASK_STATE_AUTH_REQUIRED')).status
        .state,
    ).not.toBe('TASK_STATE_AUTH_REQUIRED');
  });

  it("fails with the API's answer and exit code 1 for an unknown approval", async () => {
    const env = { WARDEN_URL: url, WARDEN_TOKEN: tokens.operator };

    const denied = await runCli(['approvals', 'deny', 'no-such-id'], env);

    expect(denied).toMatchObject({
      code: 1,
      stderr: 'warden: ERR_APPROVAL_NOT_FOUND: no approval no-such-id (HTTP 404)\n',
    });
  });
});

/** Runs `warden <args>` from the sources, as an operator would run the installed command. */
function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
