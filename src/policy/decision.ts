import type { AuthorizationAnswer, Context, EntityJson, TypeAndId } from './cedar.js';
import type { LoadedPolicy } from './policy-file.js';

/** One authorization question, in Cedar's terms. */
export interface CedarRequest {
  readonly principal: TypeAndId;
  readonly action: TypeAndId;
  readonly resource: TypeAndId;
  readonly context: Context;
  /** Only the entities this decision needs: the cost of a call grows with this JSON. */
  readonly entities: EntityJson[];
}

/** What policy says about a call: go ahead, stop, or go ahead once a human approved. */
export type Outcome = 'allow' | 'deny' | 'hold';

/**
 * Why a call was denied, or `permit` when it was not. `no-permit`: no permit applied (Cedar's
 * default deny). `error`: a policy failed to evaluate, which denies, because Cedar skips an
 * erroring policy and a broken `forbid` would otherwise allow. `invalid-request`: the request did
 * not fit the schema (e.g. a tool input of the wrong type).
 */
export type DecisionReason = 'permit' | 'forbid' | 'no-permit' | 'error' | 'invalid-request';

/** A decision and what determined it. */
export interface Decision {
  readonly outcome: Outcome;
  readonly reason: DecisionReason;
  /** The determining policy ids: satisfied permits, satisfied forbids, or erroring policies. */
  readonly policies: readonly string[];
  /** For `hold`: the roles named by the satisfied `@approval` permits; any one may approve. */
  readonly approverRoles: readonly string[];
  /** Cedar's messages for `error` and `invalid-request`: for operators, never for the caller. */
  readonly errors: readonly string[];
}

/**
 * Turns Cedar's answer into Warden's decision. A satisfied permit without `@approval` allows; when
 * every satisfied permit carries `@approval`, the call is held for one of the roles they name. Any
 * evaluation error denies, whatever Cedar decided.
 */
export function interpretAnswer(
  answer: AuthorizationAnswer,
  policies: ReadonlyMap<string, LoadedPolicy>,
): Decision {
  if (answer.type === 'failure') {
    return denied(
      'invalid-request',
      [],
      answer.errors.map((e) => e.message),
    );
  }

  const { decision, diagnostics } = answer.response;
  if (diagnostics.errors.length > 0) {
    const errors = diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`);
    return denied(
      'error',
      diagnostics.errors.map((e) => e.policyId),
      errors,
    );
  }
  if (decision === 'deny') {
    return denied(diagnostics.reason.length > 0 ? 'forbid' : 'no-permit', diagnostics.reason, []);
  }
  return permitted(diagnostics.reason, policies);
}

function permitted(
  reason: readonly string[],
  policies: ReadonlyMap<string, LoadedPolicy>,
): Decision {
  const roles = reason.map((id) => policies.get(id)?.approval);
  const base = { reason: 'permit' as const, policies: reason, errors: [] };
  if (roles.some((role) => role === undefined))
    return { ...base, outcome: 'allow', approverRoles: [] };

  const approverRoles = [...new Set(roles.filter((role): role is string => role !== undefined))];
  return { ...base, outcome: 'hold', approverRoles: approverRoles.sort() };
}

function denied(
  reason: DecisionReason,
  policies: readonly string[],
  errors: readonly string[],
): Decision {
  return { outcome: 'deny', reason, policies, approverRoles: [], errors };
}
