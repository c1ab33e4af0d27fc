import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore, type WardenStore } from '../../src/store/sqlite.js';
import { createApprovalStore } from '../../src/approvals/store.js';
import { createApprovalService, type ApprovalService } from '../../src/approvals/service.js';
import { createTaskSession } from '../../src/approvals/task-session.js';
import type { HeldCall } from '../../src/policy/guard.js';
import type { EngineDecision } from '../../src/policy/engine.js';
import type { TaskSession, StatusNotice } from '../../src/agent/task-session.js';
import { silentLogger } from '../support/harness.js';
import { memoryAudit, principal } from '../policy/helpers.js';

let dir: string;
let store: WardenStore;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-approvals-'));
  store = await openSqliteStore(path.join(dir, 'warden.db'));
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const requester = principal({ agent: 'peer-agent-a', user: 'bob' });
const manager = principal({ agent: 'operator', roles: ['manager'] });

function decision(outcome: EngineDecision['outcome'], roles = ['manager']): EngineDecision {
  return {
    outcome,
    reason: outcome === 'deny' ? 'no-permit' : 'permit',
    policies: ['large'],
    approverRoles: outcome === 'hold' ? roles : [],
    errors: [],
    policySetHash: 'h',
    shadow: undefined,
    cached: false,
  };
}

function service(options: { expireAfterSec?: number } = {}) {
  const audit = memoryAudit();
  // Below the configuration's 10 s floor on purpose: the test waits for the expiry.
  const config = {
    operatorScope: 'warden.approvals',
    expireAfterSec: options.expireAfterSec ?? 60,
  };
  const approvals = createApprovalService({
    store: createApprovalStore(store.db),
    config,
    audit,
    logger: silentLogger,
  });
  return { approvals, audit };
}

function fakeSession(): TaskSession & {
  notices: StatusNotice[];
  working: string[];
  abort: AbortController;
} {
  const abort = new AbortController();
  const notices: StatusNotice[] = [];
  const working: string[] = [];
  return {
    abort,
    notices,
    working,
    skill: { id: 'refunds', args: { orderId: 'o-1', amount: 60 } },
    signal: abort.signal,
    awaitAuthorization: (notice) => notices.push(notice),
    continueWorking: (text) => working.push(text),
    completedCalls: () => [],
    replayed: () => undefined,
    completed: () => {},
  };
}

function held(
  session: TaskSession,
  redecide: () => EngineDecision = () => decision('hold'),
): HeldCall {
  const call = {
    kind: 'tool' as const,
    name: 'issue-refund',
    input: { orderId: 'o-1', amount: 60 },
    policy: undefined,
    principal: requester,
    taskId: crypto.randomUUID(),
    contextId: 'c-1',
  };
  return { call, decision: decision('hold'), session, redecide: async () => redecide() };
}

/** Holds a call and returns the approval id once the task was told to wait. */
async function hold(approvals: ApprovalService, call: HeldCall) {
  const outcome = approvals.hold(call);
  outcome.catch(() => undefined);
  const session = call.session as ReturnType<typeof fakeSession>;
  while (session.notices.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const data = session.notices[0]?.data as { approval: { id: string } };
  return { outcome, id: data.approval.id };
}

describe('the approval service', () => {
  it('lets an approved call proceed once policy, asked again, still allows it', async () => {
    const { approvals, audit } = service();
    const session = fakeSession();
    const { outcome, id } = await hold(approvals, held(session));

    await approvals.decide(id, manager, { verdict: 'approve', reason: 'fine' });

    await expect(outcome).resolves.toMatchObject({ approvalId: id, approver: 'operator' });
    expect(session.working).toEqual(['Approved by operator; continuing with tool "issue-refund".']);
    expect(audit.events.map((e) => e.event)).toEqual(['approval.requested', 'approval.granted']);
    expect((await approvals.get(id)).status).toBe('consumed');
  });

  it('denies the call when policy no longer allows it after approval (A2A §7.6.4)', async () => {
    const { approvals } = service();
    const { outcome, id } = await hold(
      approvals,
      held(fakeSession(), () => decision('deny')),
    );

    await approvals.decide(id, manager, { verdict: 'approve' });

    await expect(outcome).rejects.toMatchObject({
      code: 'ERR_POLICY_DENIED',
      publicMessage: 'policy denies tool "issue-refund", even with the approval',
    });
  });

  it('denies the call when policy now names another approver role', async () => {
    const { approvals } = service();
    const { outcome, id } = await hold(
      approvals,
      held(fakeSession(), () => decision('hold', ['cfo'])),
    );

    await approvals.decide(id, manager, { verdict: 'approve' });

    await expect(outcome).rejects.toMatchObject({ code: 'ERR_POLICY_DENIED' });
  });

  it('expires an undecided approval, rejecting the call, and audits it', async () => {
    const { approvals, audit } = service({ expireAfterSec: 1 });
    const { outcome, id } = await hold(approvals, held(fakeSession()));

    await expect(outcome).rejects.toMatchObject({
      code: 'ERR_APPROVAL_EXPIRED',
      publicMessage: expect.stringMatching(
        /^The approval request for tool "issue-refund" expired at /,
      ),
    });
    expect((await approvals.get(id)).status).toBe('expired');
    expect(audit.events.map((e) => e.event)).toContain('approval.expired');
    await expect(approvals.decide(id, manager, { verdict: 'approve' })).rejects.toMatchObject({
      code: 'ERR_APPROVAL_CONFLICT',
      message: `approval ${id} is already expired`,
    });
  });

  it('withdraws the approval when the task is canceled', async () => {
    const { approvals } = service();
    const session = fakeSession();
    const { outcome, id } = await hold(approvals, held(session));

    session.abort.abort(new Error('task canceled'));

    await expect(outcome).rejects.toThrow('task canceled');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await approvals.get(id)).status).toBe('canceled');
  });
});

describe('the task session journal', () => {
  it('replays completed calls while a resumed run repeats them, then stops', () => {
    const bus = {
      publish: () => {},
      finished: () => {},
      on: () => bus,
      off: () => bus,
      once: () => bus,
      removeAllListeners: () => bus,
    };
    const rc = { taskId: 't', contextId: 'c' } as never;
    const first = createTaskSession({
      rc,
      bus: bus as never,
      skill: { id: 's', args: {} },
      signal: new AbortController().signal,
    });
    first.completed('read', { id: 1 }, { value: 'a' });
    first.completed('write', { id: 2 }, { ok: true });

    const resumed = createTaskSession({
      rc,
      bus: bus as never,
      skill: { id: 's', args: {} },
      signal: new AbortController().signal,
      replay: first.completedCalls(),
    });

    expect(resumed.replayed('read', { id: 1 })).toEqual({ output: { value: 'a' } });
    expect(resumed.replayed('write', { id: 3 })).toBeUndefined();
    expect(resumed.replayed('write', { id: 2 })).toBeUndefined();
    expect(resumed.completedCalls()).toHaveLength(1);
  });
});
