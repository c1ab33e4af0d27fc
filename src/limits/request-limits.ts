import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RateLimitRequestHandler } from 'express-rate-limit';
import type { Logger } from '../log/logger.js';
import type { LoadedAgent } from '../agent/loaded-agent.js';
import { principalOf } from '../auth/authenticate.js';
import type { Principal } from '../auth/principal.js';
import { readRequestedSkill } from '../a2a/operation.js';
import type { A2aBinding } from '../http/protocol-error.js';
import { limitKey, type LimitSubject } from './keys.js';
import { buildLimiter, runLimiters } from './limiter.js';
import type { RateLimitStores } from './rate-limit-stores.js';
import { refuseOverLimit, type RefusalDeps } from './rejection.js';
import type { NamedRule, RuleTable } from './rule-table.js';
import type { StoreFailureHandler } from './store-failure.js';

/** What {@link limitRequests} needs. */
export interface RequestLimitsOptions extends RefusalDeps {
  readonly table: RuleTable;
  readonly agent: LoadedAgent;
  readonly stores: RateLimitStores;
  readonly onStoreFailure: StoreFailureHandler;
  readonly logger: Logger;
}

interface Pending {
  readonly subject: LimitSubject;
  readonly principal: Principal;
  readonly binding: A2aBinding;
}

/**
 * The limits of authenticated A2A requests, keyed by the verified identity (issuer, agent, and
 * user when a rule asks for it) and the skill a message invokes, never by address. Returns a
 * middleware factory, one per binding, sharing one limiter (and so one counter) per rule.
 */
export function limitRequests(
  options: RequestLimitsOptions,
): (binding: A2aBinding) => RequestHandler {
  const pending = new WeakMap<Request, Pending>();
  const limiters = new Map(
    options.table.rules.map((named) => [named.name, requestLimiter(named, pending, options)]),
  );

  return (binding) =>
    async function limitRequest(req: Request, res: Response, next: NextFunction) {
      const principal = principalOf(req);
      // `authenticate` runs first; an unauthenticated request never gets here.
      if (principal === undefined || limiters.size === 0) return next();

      const skill = skillOf(req, binding, options.agent);
      const chain = options.table
        .select(principal.issuer, principal.agent, skill)
        .map((named) => limiters.get(named.name))
        .filter((limiter): limiter is RateLimitRequestHandler => limiter !== undefined);
      if (chain.length === 0) return next();

      pending.set(req, { subject: subjectOf(principal, skill), principal, binding });
      try {
        if ((await runLimiters(chain, req, res)) === 'admitted') next();
      } catch (error) {
        options.onStoreFailure(error, req, res, next, binding);
      }
    };
}

function requestLimiter(
  named: NamedRule,
  pending: WeakMap<Request, Pending>,
  options: RequestLimitsOptions,
): RateLimitRequestHandler {
  const contextOf = (req: Request): Pending => {
    const context = pending.get(req);
    if (context === undefined) throw new Error(`limiter ${named.name} ran outside limitRequest`);
    return context;
  };

  return buildLimiter({
    name: named.name,
    limit: named.rule.limit,
    windowMs: named.rule.windowMs,
    store: options.stores.create(named.name),
    keyOf: (req) => limitKey(contextOf(req).subject, named.rule.key),
    refuse: async (req, res, used) => {
      const { principal, binding, subject } = contextOf(req);
      const { limit, windowMs } = named.rule;
      const refusal = { limiter: named.name, limit, windowMs, used, binding, principal };
      await refuseOverLimit(req, res, { ...refusal, skill: subject.skill }, options);
    },
    logger: options.logger,
  });
}

// The same reading of the message as the skill gate and the executor, so the skill counted is the
// skill that runs. Unknown skills count under no skill rule; the gate refuses them next.
function skillOf(req: Request, binding: A2aBinding, agent: LoadedAgent): string | undefined {
  const request = readRequestedSkill(req, binding, agent.skills);
  return request.kind === 'skill' ? request.skill.id : undefined;
}

function subjectOf(principal: Principal, skill: string | undefined): LimitSubject {
  return { issuer: principal.issuer, agent: principal.agent, user: principal.user, skill };
}
