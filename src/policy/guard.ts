import { WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { AuditTrail } from '../audit/event.js';
import type { SkillCall, SkillGuard } from '../agent/skill-guard.js';
import type { TaskSession } from '../agent/task-session.js';
import type { ToolCall, ToolGuard } from '../agent/tool-call.js';
import type { EntityResolvers } from './declarations.js';
import type { EngineDecision, PolicyEngine } from './engine.js';
import { buildCedarRequest, type ActionCall } from './request.js';
import { auditEventOf, noteShadow } from './decision-audit.js';
import { authzDecisionSeconds } from '../metrics/registry.js';

/** A held call, as the approval flow receives it. */
export interface HeldCall {
  readonly call: ActionCall;
  readonly decision: EngineDecision;
  readonly session: TaskSession;
  /** Decides the call again with the same input (A2A §7.6.4: approval alone never authorizes). */
  redecide(): Promise<EngineDecision>;
}

/** What an approval that let a held call proceed looked like. */
export interface ApprovalOutcome {
  readonly approvalId: string;
  readonly approver: string;
  /** The decision made again after the approval, which allowed the call. */
  readonly decision: EngineDecision;
}

/**
 * Holds a call until a human decides. Resolves once the call was approved and policy, asked
 * again, allowed it; throws a `WardenError` when it was denied, expired or withdrawn.
 */
export interface ApprovalHandler {
  hold(held: HeldCall): Promise<ApprovalOutcome>;
}

/** Options of {@link createPolicyGuard}. */
export interface PolicyGuardOptions {
  readonly engine: PolicyEngine;
  readonly resolvers: EntityResolvers;
  /** IANA zone of `context.time`. */
  readonly timeZone: string;
  readonly audit: AuditTrail;
  readonly logger: Logger;
  /** Without it, a call policy would hold is denied. */
  readonly approvals?: ApprovalHandler | undefined;
  readonly now?: () => Date;
}

/**
 * The guard that asks Cedar about every skill and every tool call, records the decision in the
 * audit trail before acting on it, and acts: allow, deny (`ERR_POLICY_DENIED`, with a message
 * naming the action and never the policy), or hold for a human approval.
 */
export function createPolicyGuard(options: PolicyGuardOptions): ToolGuard & SkillGuard {
  const log = options.logger.child({ module: 'policy' });
  const now = options.now ?? (() => new Date());

  async function decide(call: ActionCall): Promise<EngineDecision> {
    const bundle = options.engine.current();
    const requestOptions = { shape: bundle.shape, resolvers: options.resolvers, now: now() };
    const built = await buildCedarRequest(call, { ...requestOptions, timeZone: options.timeZone });
    if (built.ok) return options.engine.decide(built.request);

    log.info('policy.request_failed', {
      reason: built.reason,
      detail: built.message,
      error: built.cause,
    });
    return unbuilt(bundle.hash, built.reason, built.message, built.publicMessage);
  }

  async function authorize(call: ActionCall, session: TaskSession | undefined): Promise<void> {
    const started = performance.now();
    const decision = await decide(call);
    const durationMs = performance.now() - started;
    authzDecisionSeconds.observe({ kind: call.kind }, durationMs / 1000);
    noteShadow(call, decision, log);

    if (decision.outcome === 'allow') return recordAllowed(call, decision, durationMs);
    if (decision.outcome === 'deny' || session === undefined || options.approvals === undefined) {
      await record(call, decision, durationMs, 'denied');
      throw deniedError(call, decision);
    }

    await record(call, decision, durationMs, 'held');
    const approved = await options.approvals.hold({
      call,
      decision,
      session,
      redecide: () => decide(call),
    });
    await recordAllowed(call, approved.decision, durationMs, approved);
  }

  async function recordAllowed(
    call: ActionCall,
    decision: EngineDecision,
    durationMs: number,
    approval?: ApprovalOutcome,
  ): Promise<void> {
    // The audit entry comes before the action: when it cannot be written, the call does not run.
    try {
      await record(call, decision, durationMs, 'allowed', approval);
    } catch (cause) {
      throw new WardenError(
        'ERR_POLICY_DENIED',
        `${call.kind} "${call.name}": audit write failed`,
        {
          cause,
          publicMessage: `${call.kind} "${call.name}" could not be recorded, so it did not run`,
        },
      );
    }
  }

  async function record(
    call: ActionCall,
    decision: EngineDecision,
    durationMs: number,
    outcome: 'allowed' | 'denied' | 'held',
    approval?: ApprovalOutcome,
  ): Promise<void> {
    if (call.kind === 'skill' && outcome === 'held') return; // approval.requested says it
    const event = auditEventOf(call, decision, durationMs, outcome, approval);
    // A tool's permission is on disk before the tool runs; a skill's only needs its place in the
    // chain, since its effects go through tools and its answer waits for a durable entry.
    if (outcome === 'allowed')
      return options.audit.record(event, { durable: call.kind === 'tool' });

    await options.audit.record(event).catch((error: unknown) => {
      log.error('audit write failed', { event: event.event, error });
    });
  }

  return {
    checkToolCall: (call: ToolCall) => authorize(toolAction(call), call.session),
    checkSkill: (call: SkillCall) => authorize(skillAction(call), call.session),
  };
}

function toolAction(call: ToolCall): ActionCall {
  const { tool, input, principal, taskId, contextId } = call;
  return {
    kind: 'tool',
    name: tool.name,
    input,
    policy: tool.policy,
    principal,
    taskId,
    contextId,
  };
}

function skillAction(call: SkillCall): ActionCall {
  const { skill, args, principal, taskId, contextId } = call;
  return {
    kind: 'skill',
    name: skill.id,
    input: args,
    policy: skill.policy,
    principal,
    taskId,
    contextId,
  };
}

/** The error a denied call ends with: the caller learns which action, never which policy. */
export function deniedError(call: ActionCall, decision: EngineDecision): WardenError {
  const policies = decision.policies.length > 0 ? ` by ${decision.policies.join(', ')}` : '';
  const detail = decision.errors.length > 0 ? `: ${decision.errors.join('; ')}` : '';
  const message = `${call.kind} "${call.name}" denied (${decision.reason})${policies}${detail}`;
  return new WardenError('ERR_POLICY_DENIED', message, {
    publicMessage: publicDenial(call, decision),
  });
}

// Request failures carry their own caller-safe message (e.g. the input field that did not fit).
const publicMessages = new WeakMap<EngineDecision, string>();

function publicDenial(call: ActionCall, decision: EngineDecision): string {
  return publicMessages.get(decision) ?? `policy denies ${call.kind} "${call.name}"`;
}

function unbuilt(
  hash: string,
  reason: string,
  message: string,
  publicMessage: string,
): EngineDecision {
  const decision: EngineDecision = {
    outcome: 'deny',
    reason: 'invalid-request',
    policies: [],
    approverRoles: [],
    errors: [`${reason}: ${message}`],
    policySetHash: hash,
    shadow: undefined,
    cached: false,
  };
  publicMessages.set(decision, publicMessage);
  return decision;
}
