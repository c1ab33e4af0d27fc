import type { StatusNotice } from '../agent/task-session.js';
import { describeRoles } from './checks.js';
import type { Approval } from './approval.js';

/**
 * The status message of a task held for approval (A2A §7.6.1: it MUST say what authorization is
 * required): what waits, for whom, under which id, until when; and the same as data for agents.
 */
export function heldNotice(approval: Approval): StatusNotice {
  const { action, requester } = approval;
  const by =
    requester.user === undefined ? requester.agent : `${requester.user} via ${requester.agent}`;
  const text =
    `Waiting for approval: ${action.kind} "${action.name}" needs a decision by ` +
    describeRoles(approval.approverRoles) +
    ` (approval ${approval.id}, requested by ${by}, expires ${approval.expiresAt}).` +
    ' Follow this task with GetTask or SubscribeToTask; CancelTask withdraws the request.';

  return {
    text,
    data: {
      approval: {
        id: approval.id,
        action: action.name,
        kind: action.kind,
        approverRoles: approval.approverRoles,
        inputHash: approval.inputHash,
        expiresAt: approval.expiresAt,
      },
    },
  };
}

/** The status message when a held call may go ahead. */
export function approvedText(approval: Approval): string {
  const approver = approval.decision?.approver ?? 'an operator';
  const action = `${approval.action.kind} "${approval.action.name}"`;
  return `Approved by ${approver}; continuing with ${action}.`;
}

/** Why the task ends rejected when its approval did not let it continue. */
export function rejectionText(approval: Approval): string {
  const name = `${approval.action.kind} "${approval.action.name}"`;
  const reason = approval.decision?.reason;
  switch (approval.status) {
    case 'denied':
      return `${name} was not approved${reason ? `: ${reason}` : ''}.`;
    case 'expired':
      return `The approval request for ${name} expired at ${approval.expiresAt} undecided.`;
    default:
      return `The approval request for ${name} was withdrawn.`;
  }
}
