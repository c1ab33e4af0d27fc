import type { Principal } from '../auth/principal.js';
import type { AuditEventInput } from '../audit/event.js';
import { WardenError } from '../errors.js';
import type { EngineDecision } from '../policy/engine.js';
import type { HeldCall } from '../policy/guard.js';
import type { Approval } from './approval.js';
import { rejectionText } from './notice.js';

/** The fields every approval audit event carries. */
export function eventBase(approval: Approval): AuditEventInput {
  return {
    event: 'approval.requested',
    taskId: approval.taskId,
    contextId: approval.contextId,
    ...(approval.action.kind === 'tool'
      ? { tool: approval.action.name }
      : { skill: approval.action.name }),
    approvalId: approval.id,
    policies: approval.policies,
    policySetHash: approval.policySetHash,
  };
}

/** `approval.requested`: who asked for what, held under which policies. */
export function requestedEvent(held: HeldCall, approval: Approval): AuditEventInput {
  return {
    ...eventBase(approval),
    principal: held.call.principal,
    parameters: held.call.input,
    decision: 'hold',
    detail: {
      approverRoles: approval.approverRoles,
      inputHash: approval.inputHash,
      expiresAt: approval.expiresAt,
    },
  };
}

/** `approval.granted` or `approval.denied`, by the operator who decided. */
export function decidedEvent(approval: Approval, operator: Principal): AuditEventInput {
  const granted = approval.status === 'approved';
  return {
    ...eventBase(approval),
    event: granted ? 'approval.granted' : 'approval.denied',
    principal: operator,
    decision: granted ? 'allow' : 'deny',
    approver: approval.decision?.approver,
    outcome: approval.status,
    detail: {
      role: approval.decision?.role,
      reason: approval.decision?.reason,
      inputHash: approval.inputHash,
    },
  };
}

/** The error a held call ends with when its approval was denied or expired. */
export function rejectionError(approval: Approval): WardenError {
  const code = approval.status === 'expired' ? 'ERR_APPROVAL_EXPIRED' : 'ERR_APPROVAL_DENIED';
  const text = rejectionText(approval);
  return new WardenError(code, `approval ${approval.id}: ${text}`, { publicMessage: text });
}

/** The error of an approved call that policy, asked again, no longer allows (A2A §7.6.4). */
export function deniedAfterApproval(approval: Approval, decision: EngineDecision): WardenError {
  const name = `${approval.action.kind} "${approval.action.name}"`;
  return new WardenError(
    'ERR_POLICY_DENIED',
    `${name} approved (${approval.id}) but policy now decides ${decision.outcome} ` +
      `(${decision.reason})`,
    { publicMessage: `policy denies ${name}, even with the approval` },
  );
}
