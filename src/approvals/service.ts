import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/principal.js';
import type { AuditEventInput, AuditTrail } from '../audit/event.js';
import { WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ApprovalHandler, ApprovalOutcome, HeldCall } from '../policy/guard.js';
import type { EngineDecision } from '../policy/engine.js';
import type { ApprovalsConfig } from './config.js';
import {
  requesterOf,
  storePrincipal,
  operatorIdOf,
  type Approval,
  type ApprovalStatus,
} from './approval.js';
import { checkDecision, type DecisionRequest } from './checks.js';
import { createExpiryTimers } from './expiry.js';
import { hashInput, jsonOf } from './input-hash.js';
import { approvedText, heldNotice } from './notice.js';
import {
  decidedEvent,
  deniedAfterApproval,
  eventBase,
  rejectionError,
  requestedEvent,
} from './events.js';
import type { ApprovalStore } from './store.js';

/** Continues a held task whose run is gone, e.g. after a restart. */
export interface TaskResumer {
  /** False when the task no longer waits (canceled meanwhile, or gone). */
  isWaiting(approval: Approval): Promise<boolean>;
  /** Moves the task on: runs its skill again (approved) or ends it rejected. */
  resume(approval: Approval): Promise<void>;
}

/** Options of {@link createApprovalService}. */
export interface ApprovalServiceOptions {
  readonly store: ApprovalStore;
  readonly config: ApprovalsConfig;
  readonly audit: AuditTrail;
  readonly logger: Logger;
  readonly now?: (() => Date) | undefined;
}

/** Holds calls for a human, and takes the humans' decisions. */
export interface ApprovalService extends ApprovalHandler {
  list(filter: { status?: ApprovalStatus | undefined; limit: number }): Promise<Approval[]>;
  /** @throws `ERR_APPROVAL_NOT_FOUND` */
  get(id: string): Promise<Approval>;
  /** @throws `ERR_APPROVAL_NOT_FOUND`, `ERR_APPROVAL_CONFLICT`, `ERR_APPROVAL_FORBIDDEN` */
  decide(id: string, operator: Principal, request: DecisionRequest): Promise<Approval>;
  /** The approval a task waits on, if it waits on one. */
  waitingApproval(taskId: string): Promise<Approval | undefined>;
  /** Arms expiry for stored approvals and moves on tasks decided while no run waited. */
  start(resumer: TaskResumer): Promise<void>;
  close(): void;
}

/**
 * The approval flow (A2A §7.6). A held call is stored with its exact input and hash, the task
 * goes to `TASK_STATE_AUTH_REQUIRED`, and the run waits. An operator's decision wakes it; on
 * approval policy decides the same input again and the approval is consumed, once. Approvals
 * expire. A decision for a task with no waiting run (Warden restarted) resumes it through the
 * {@link TaskResumer}.
 */
export function createApprovalService(options: ApprovalServiceOptions): ApprovalService {
  const { store, audit } = options;
  const log = options.logger.child({ module: 'approvals' });
  const now = options.now ?? (() => new Date());
  const waiters = new Map<string, (approval: Approval) => void>();
  const timers = createExpiryTimers(now, (id) => {
    expire(id).catch((error: unknown) => log.error('expiry failed', { approvalId: id, error }));
  });
  let resumer: TaskResumer | undefined;

  async function hold(held: HeldCall): Promise<ApprovalOutcome> {
    const inputHash = hashInput(held.call.input);
    const claimed = await claimApproved(held, inputHash);
    if (claimed !== undefined) return claimed;

    const approval = newApproval(held, inputHash);
    await audit.record(requestedEvent(held, approval)); // fails closed: no entry, no hold

    // Waiting starts before the row exists, so no decision can find the approval without its run.
    const decision = waitFor(approval.id, held.session.signal);
    try {
      await store.insert(approval);
    } catch (error) {
      waiters.delete(approval.id);
      throw error;
    }
    timers.arm(approval);
    held.session.awaitAuthorization(heldNotice(approval));
    return proceed(held, await decision);
  }

  // A resumed run meets the call it was held at again: the stored approval lets it through.
  async function claimApproved(
    held: HeldCall,
    inputHash: string,
  ): Promise<ApprovalOutcome | undefined> {
    const approvals = await store.forTask(held.call.taskId);
    const approved = approvals.find(
      (a) =>
        a.status === 'approved' && a.action.name === held.call.name && a.inputHash === inputHash,
    );
    if (approved === undefined || Date.parse(approved.expiresAt) <= now().getTime())
      return undefined;
    return consume(held, approved, held.decision);
  }

  async function proceed(held: HeldCall, decided: Approval): Promise<ApprovalOutcome> {
    await markSettled(decided);
    if (decided.status !== 'approved') throw rejectionError(decided);

    return consume(held, decided, await held.redecide());
  }

  async function consume(
    held: HeldCall,
    approval: Approval,
    decision: EngineDecision,
  ): Promise<ApprovalOutcome> {
    const role = approval.decision?.role;
    const stillAllowed =
      decision.outcome === 'allow' ||
      (decision.outcome === 'hold' && role !== undefined && decision.approverRoles.includes(role));
    if (!stillAllowed) throw deniedAfterApproval(approval, decision);

    const consumed = { ...approval, status: 'consumed' as const, consumedAt: now().toISOString() };
    if (!(await store.update(consumed, 'approved'))) {
      throw new WardenError('ERR_APPROVAL_CONFLICT', `approval ${approval.id} was already used`);
    }
    held.session.continueWorking(approvedText(approval));
    return { approvalId: approval.id, approver: approval.decision?.approver ?? '', decision };
  }

  function newApproval(held: HeldCall, inputHash: string): Approval {
    const created = now();
    const expires = new Date(created.getTime() + options.config.expireAfterSec * 1000);
    return {
      id: randomUUID(),
      status: 'pending',
      taskId: held.call.taskId,
      contextId: held.call.contextId,
      action: { kind: held.call.kind, name: held.call.name },
      input: jsonOf(held.call.input),
      inputHash,
      requester: requesterOf(held.call.principal),
      approverRoles: held.decision.approverRoles,
      policies: held.decision.policies,
      policySetHash: held.decision.policySetHash,
      createdAt: created.toISOString(),
      expiresAt: expires.toISOString(),
      resume: {
        skill: { id: held.session.skill.id, args: jsonOf(held.session.skill.args) },
        principal: storePrincipal(held.call.principal),
        completedCalls: held.session.completedCalls(),
      },
    };
  }

  function waitFor(id: string, signal: AbortSignal): Promise<Approval> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        waiters.delete(id);
        void withdraw(id);
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();

      signal.addEventListener('abort', onAbort, { once: true });
      waiters.set(id, (approval) => {
        signal.removeEventListener('abort', onAbort);
        waiters.delete(id);
        resolve(approval);
      });
    });
  }

  async function decide(
    id: string,
    operator: Principal,
    request: DecisionRequest,
  ): Promise<Approval> {
    const approval = await get(id);
    if (approval.status === 'pending' && isExpired(approval)) await expire(id);
    const role = checkDecision(approval, operator, request, now());
    if (!waiters.has(id) && resumer !== undefined && !(await resumer.isWaiting(approval))) {
      await store.update(
        { ...approval, status: 'canceled', settledAt: now().toISOString() },
        'pending',
      );
      throw new WardenError(
        'ERR_APPROVAL_CONFLICT',
        `task ${approval.taskId} no longer waits for approval ${id}`,
      );
    }

    const status = request.verdict === 'approve' ? 'approved' : 'denied';
    const decision = {
      approver: operatorIdOf(operator),
      role,
      reason: request.reason,
      decidedAt: now().toISOString(),
    };
    const decided: Approval = { ...approval, status, decision };
    if (!(await store.update(decided, 'pending'))) {
      throw new WardenError('ERR_APPROVAL_CONFLICT', `approval ${id} was decided meanwhile`);
    }

    await recordQuietly(decidedEvent(decided, operator));
    timers.disarm(id);
    settle(decided);
    return decided;
  }

  async function expire(id: string): Promise<void> {
    const approval = await store.get(id);
    if (approval === undefined || approval.status !== 'pending') return;

    const expired: Approval = { ...approval, status: 'expired' };
    if (!(await store.update(expired, 'pending'))) return;
    await recordQuietly({ ...eventBase(expired), event: 'approval.expired', outcome: 'expired' });
    settle(expired);
  }

  async function withdraw(id: string): Promise<void> {
    timers.disarm(id);
    const approval = await store.get(id);
    if (approval?.status !== 'pending') return;
    await store.update(
      { ...approval, status: 'canceled', settledAt: now().toISOString() },
      'pending',
    );
  }

  function settle(approval: Approval): void {
    const waiter = waiters.get(approval.id);
    if (waiter !== undefined) return waiter(approval);
    if (resumer === undefined) return;

    resumer
      .resume(approval)
      .then(() => markSettled(approval))
      .catch((error: unknown) =>
        log.error('resuming a held task failed', { approvalId: approval.id, error }),
      );
  }

  async function markSettled(approval: Approval): Promise<void> {
    const current = await store.get(approval.id);
    if (current === undefined || current.settledAt !== undefined) return;
    await store.update({ ...current, settledAt: now().toISOString() }, current.status);
  }

  function isExpired(approval: Approval): boolean {
    return Date.parse(approval.expiresAt) <= now().getTime();
  }

  async function get(id: string): Promise<Approval> {
    const approval = await store.get(id);
    if (approval === undefined)
      throw new WardenError('ERR_APPROVAL_NOT_FOUND', `no approval ${id}`);
    return approval;
  }

  async function start(next: TaskResumer): Promise<void> {
    resumer = next;
    for (const approval of await store.list({ limit: 10_000 })) {
      if (approval.status === 'pending') timers.arm(approval);
      else if (approval.settledAt === undefined && approval.status !== 'consumed') settle(approval);
    }
  }

  async function recordQuietly(event: AuditEventInput): Promise<void> {
    await audit
      .record(event)
      .catch((error: unknown) => log.error('audit write failed', { event: event.event, error }));
  }

  return {
    hold,
    get,
    decide,
    start,
    list: (filter) => store.list(filter),
    async waitingApproval(taskId) {
      const approvals = await store.forTask(taskId);
      return approvals.find(
        (a) => a.status === 'pending' || (a.status === 'approved' && a.settledAt === undefined),
      );
    },
    close: () => timers.clear(),
  };
}
