import type { AgentDefinition } from '../agent/define.js';
import type { SkillGuard } from '../agent/skill-guard.js';
import type { ToolGuard } from '../agent/tool-call.js';
import type { AuditTrail } from '../audit/event.js';
import type { WardenConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { checkAgentActions, type AgentActions } from './agent-check.js';
import type { EntityResolvers } from './declarations.js';
import { policySourcesOf } from './config.js';
import { createPolicyEngine, type PolicyEngine } from './engine.js';
import { createPolicyGuard, type ApprovalHandler } from './guard.js';
import { loadPolicyBundle, type PolicySources } from './load.js';
import { reloadPolicy } from './reload.js';

/** Policy, as Warden runs it. */
export interface Policy {
  readonly guard: ToolGuard & SkillGuard;
  readonly engine: PolicyEngine;
  /** Reads the files again; a set that fails keeps the previous one in force (false). */
  reload(): Promise<boolean>;
}

/** A policy set loaded, validated and checked against the agent, not yet guarding anything. */
export interface PreparedPolicy {
  readonly engine: PolicyEngine;
  readonly sources: PolicySources;
  readonly actions: AgentActions;
  readonly timeZone: string;
}

/**
 * Loads and validates the configured schema and policies and checks them against the agent.
 * Throws `ERR_POLICY_INVALID` (file, line, Cedar's message), so a server with a malformed policy
 * never starts; call it before anything else is opened. Without a `policy` section: undefined,
 * and a `WARDEN_NO_POLICY` warning, since then every call the token's scopes allow runs.
 */
export function preparePolicy(
  config: WardenConfig,
  agent: AgentDefinition,
  logger: Logger,
): PreparedPolicy | undefined {
  if (config.policy === undefined) {
    const message = "no policy configured: every skill and tool call the token's scopes allow runs";
    logger.warn(message, { code: 'WARDEN_NO_POLICY' });
    return undefined;
  }

  const sources = policySourcesOf(config.policy, config.source);
  const actions = { skills: agent.skills.map((s) => s.id), tools: agent.tools.map((t) => t.name) };
  const bundle = loadPolicyBundle(sources);
  checkAgentActions(bundle.shape, actions);
  for (const warning of bundle.warnings) {
    logger.warn('policy validation warning', { code: 'WARDEN_POLICY_WARNING', warning });
  }

  const engine = createPolicyEngine(bundle, { cache: config.policy.cache });
  logger.info('policy loaded', { policySetHash: bundle.hash, policies: bundle.policies.length });
  return { engine, sources, actions, timeZone: config.policy.timeZone };
}

/** What {@link createPolicy} needs besides the prepared set. */
export interface PolicyOptions {
  readonly resolvers: EntityResolvers;
  readonly audit: AuditTrail;
  readonly logger: Logger;
  readonly approvals?: ApprovalHandler | undefined;
  readonly now?: (() => Date) | undefined;
}

/** The guard over a prepared policy set, and its reload. */
export function createPolicy(prepared: PreparedPolicy, options: PolicyOptions): Policy {
  const { engine, sources, actions } = prepared;
  const guard = createPolicyGuard({
    engine,
    resolvers: options.resolvers,
    timeZone: prepared.timeZone,
    audit: options.audit,
    logger: options.logger,
    approvals: options.approvals,
    ...(options.now ? { now: options.now } : {}),
  });
  const reload = () =>
    reloadPolicy({ engine, sources, agent: actions, audit: options.audit, logger: options.logger });
  return { guard, engine, reload };
}
