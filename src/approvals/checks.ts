import type { Principal } from '../auth/principal.js';
import { WardenError } from '../errors.js';
import { operatorIdOf, type Approval } from './approval.js';

/** What an operator asks for. */
export interface DecisionRequest {
  readonly verdict: 'approve' | 'deny';
  /** When given, must equal the stored input hash: the operator decides what they were shown. */
  readonly inputHash?: string | undefined;
  readonly reason?: string | undefined;
}

/**
 * Checks that `operator` may decide `approval` now, and returns the role they decide under.
 * 409 (`ERR_APPROVAL_CONFLICT`): already decided, expired, or another input. 403
 * (`ERR_APPROVAL_FORBIDDEN`): the operator lacks every role the policy names, or is the requesting
 * user or agent (or an agent in its delegation chain): nobody approves their own request.
 */
export function checkDecision(
  approval: Approval,
  operator: Principal,
  request: DecisionRequest,
  now: Date,
): string {
  if (approval.status !== 'pending') {
    throw conflict(`approval ${approval.id} is already ${approval.status}`);
  }
  if (Date.parse(approval.expiresAt) <= now.getTime()) {
    throw conflict(`approval ${approval.id} expired at ${approval.expiresAt}`);
  }
  if (request.inputHash !== undefined && request.inputHash !== approval.inputHash) {
    throw conflict(`approval ${approval.id} is for another input (inputHash does not match)`);
  }

  const role = approval.approverRoles.find((r) => rolesOf(operator).has(r));
  if (role === undefined) {
    throw forbidden(
      `deciding approval ${approval.id} needs role ${describeRoles(approval.approverRoles)}`,
    );
  }
  if (isRequester(approval, operator)) {
    throw forbidden(
      `approval ${approval.id} was requested by ${operatorIdOf(operator)}, who cannot decide it`,
    );
  }
  return role;
}

/** The roles of an operator's token (read defensively: older principals carry none). */
export function rolesOf(principal: Principal): ReadonlySet<string> {
  const roles: unknown = Reflect.get(principal, 'roles');
  if (roles instanceof Set) return roles as Set<string>;
  return new Set(
    Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [],
  );
}

/** "manager" or "one of admin, manager". */
export function describeRoles(roles: readonly string[]): string {
  return roles.length === 1 ? `"${roles[0]}"` : `one of ${roles.map((r) => `"${r}"`).join(', ')}`;
}

function isRequester(approval: Approval, operator: Principal): boolean {
  const { requester } = approval;
  const identities = new Set([requester.agent, ...requester.actors]);
  if (requester.user !== undefined) identities.add(requester.user);

  // Neither the operator's user nor the client they act through may be a party to the request.
  const user = operator.user;
  return identities.has(operator.agent) || (user !== undefined && identities.has(user));
}

function conflict(message: string): WardenError {
  return new WardenError('ERR_APPROVAL_CONFLICT', message);
}

function forbidden(message: string): WardenError {
  return new WardenError('ERR_APPROVAL_FORBIDDEN', message);
}
