import type { AuditEventInput } from '../audit/event.js';
import type { Logger } from '../log/logger.js';
import type { EngineDecision } from './engine.js';
import type { ApprovalOutcome } from './guard.js';
import type { ActionCall } from './request.js';

/** Logs a decision the shadow policies would have made differently. */
export function noteShadow(call: ActionCall, decision: EngineDecision, log: Logger): void {
  if (decision.shadow === undefined || decision.shadow.outcome === decision.outcome) return;

  log.info('policy.shadow_differs', {
    action: call.name,
    enforced: decision.outcome,
    shadow: decision.shadow.outcome,
    policies: decision.shadow.policies,
  });
}

/** The audit event of a decision: `tool.*` or `skill.*`, with the determining policies. */
export function auditEventOf(
  call: ActionCall,
  decision: EngineDecision,
  durationMs: number,
  outcome: 'allowed' | 'denied' | 'held',
  approval: ApprovalOutcome | undefined,
): AuditEventInput {
  const shortDecision = outcome === 'allowed' ? 'allow' : outcome === 'denied' ? 'deny' : 'hold';
  return {
    event: `${call.kind}.${outcome}` as AuditEventInput['event'],
    principal: call.principal,
    taskId: call.taskId,
    contextId: call.contextId,
    ...(call.kind === 'tool' ? { tool: call.name } : { skill: call.name }),
    parameters: call.input,
    decision: shortDecision,
    policies: decision.policies,
    policySetHash: decision.policySetHash,
    approver: approval?.approver,
    approvalId: approval?.approvalId,
    outcome: decision.reason,
    durationMs,
    detail: {
      cached: decision.cached,
      ...(decision.approverRoles.length > 0 ? { approverRoles: decision.approverRoles } : {}),
      ...(decision.errors.length > 0 ? { errors: decision.errors } : {}),
      ...(decision.shadow ? { shadow: decision.shadow } : {}),
    },
  };
}
