import type { Principal } from '../auth/principal.js';
import type { CompletedToolCall } from '../agent/task-session.js';

/**
 * Where an approval stands. `pending` waits for an operator; `approved` lets the call proceed
 * once, if policy still allows it, and becomes `consumed` when it does; `denied`, `expired` and
 * `canceled` (the task was canceled, or stopped waiting) end it.
 */
export type ApprovalStatus =
  'pending' | 'approved' | 'consumed' | 'denied' | 'expired' | 'canceled';

/** Who asked: the agent, the user it acts for, and the agents between them. */
export interface Requester {
  readonly issuer: string;
  readonly agent: string;
  readonly user: string | undefined;
  readonly actors: readonly string[];
}

/** A call held for a human approval, as stored. */
export interface Approval {
  readonly id: string;
  readonly status: ApprovalStatus;
  readonly taskId: string;
  readonly contextId: string;
  /** The held action: a tool call, or a skill. */
  readonly action: { readonly kind: 'tool' | 'skill'; readonly name: string };
  /** The exact input the approval is for, and its SHA-256 over RFC 8785 canonical JSON. */
  readonly input: unknown;
  readonly inputHash: string;
  readonly requester: Requester;
  /** Roles any one of which may decide (from the satisfied `@approval` permits). */
  readonly approverRoles: readonly string[];
  readonly policies: readonly string[];
  readonly policySetHash: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** Set once decided. */
  readonly decision?: Decision | undefined;
  /** When the approved call consumed the approval: it is good for one call only. */
  readonly consumedAt?: string | undefined;
  /** When the task moved on (resumed or rejected) after the decision. */
  readonly settledAt?: string | undefined;
  /** What a resumed run needs: the skill, the principal and the calls completed before the hold. */
  readonly resume: ResumeState;
}

/** An operator's decision. */
export interface Decision {
  readonly approver: string;
  /** The role under which the approver decided. */
  readonly role: string | undefined;
  readonly reason: string | undefined;
  readonly decidedAt: string;
}

/** Enough to run the task's skill again after a restart, as its owner. */
export interface ResumeState {
  readonly skill: { readonly id: string; readonly args: unknown };
  readonly principal: StoredPrincipal;
  readonly completedCalls: readonly CompletedToolCall[];
}

/** A principal as JSON: sets become `{ "$set": [...] }`. */
export type StoredPrincipal = Readonly<Record<string, unknown>>;

/** The principal as JSON, whatever fields it carries. */
export function storePrincipal(principal: Principal): StoredPrincipal {
  const entries = Object.entries(principal).map(([key, value]) => [
    key,
    value instanceof Set ? { $set: [...(value as Set<unknown>)] } : value,
  ]);
  return Object.fromEntries(entries) as StoredPrincipal;
}

/** The principal back from JSON. */
export function restorePrincipal(stored: StoredPrincipal): Principal {
  const entries = Object.entries(stored).map(([key, value]) => [
    key,
    isStoredSet(value) ? new Set(value.$set) : value,
  ]);
  return Object.fromEntries(entries) as unknown as Principal;
}

/** The requester of a call. */
export function requesterOf(principal: Principal): Requester {
  return {
    issuer: principal.issuer,
    agent: principal.agent,
    user: principal.user,
    actors: [...principal.actors],
  };
}

/** The identity an operator decides as: the user, else the client. */
export function operatorIdOf(principal: Principal): string {
  return principal.user ?? principal.agent;
}

function isStoredSet(value: unknown): value is { $set: unknown[] } {
  return typeof value === 'object' && value !== null && Array.isArray(Reflect.get(value, '$set'));
}
