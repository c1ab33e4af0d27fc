import type { RequestHandler } from 'express';
import type { Logger } from '../log/logger.js';
import type { AuditTrail } from '../audit/event.js';
import type { LoadedAgent } from '../agent/loaded-agent.js';
import type { ToolGuard } from '../agent/tool-call.js';
import type { A2aBinding } from '../http/protocol-error.js';
import type { ReadinessCheck } from '../http/health.js';
import type { LimitsConfig } from './config.js';
import { connectLimitsRedis, type LimitsRedis } from './redis.js';
import { memoryStores, redisStores, type RateLimitStores } from './rate-limit-stores.js';
import { memoryBudgetStore, type BudgetStore } from './budget-store.js';
import { redisBudgetStore } from './budget-redis.js';
import { budgetRules } from './budget-rules.js';
import { createBudgetGuard } from './budget-guard.js';
import { buildRuleTable } from './rule-table.js';
import { limitRequests } from './request-limits.js';
import { limitUnauthenticated, UNAUTHENTICATED_LIMITER } from './unauthenticated.js';
import { handleStoreFailure } from './store-failure.js';

/** What {@link createLimits} needs. */
export interface LimitsOptions {
  /** Checked against the agent by `validateLimits` first. */
  readonly limits: LimitsConfig;
  readonly agent: LoadedAgent;
  readonly audit: AuditTrail;
  readonly logger: Logger;
}

/**
 * Warden's rate limits and budgets, ready to mount. The pipeline (src/server/app.ts) places them:
 * `limitUnauthenticated` before `authenticate` and on the public routes, `forgiveAuthenticated`
 * right after `authenticate`, `limitRequests` once the body is parsed; `budgetGuard` joins the
 * tool guard.
 */
export interface Limits {
  limitUnauthenticated(binding: A2aBinding): RequestHandler;
  readonly forgiveAuthenticated: RequestHandler;
  limitRequests(binding: A2aBinding): RequestHandler;
  readonly budgetGuard: ToolGuard;
  /** The shared store's readiness, when there is one. */
  readonly readiness: readonly ReadinessCheck[];
  close(): Promise<void>;
}

/**
 * Connects the store (Redis when `limits.redis` is set, else memory) and builds the limiters and
 * the budget guard. An unreachable Redis does not stop the start (see {@link connectLimitsRedis}).
 */
export async function createLimits(options: LimitsOptions): Promise<Limits> {
  const { limits, logger, audit } = options;
  const failOpen = limits.redis?.failOpen ?? false;
  warnIfFailOpen(failOpen, logger);

  const redis = limits.redis && (await connectLimitsRedis(limits.redis, logger));
  const stores = openStores(limits, redis);
  const deps = { audit, logger, onStoreFailure: handleStoreFailure(failOpen, logger) };
  const unauthenticated = limitUnauthenticated({
    ...deps,
    config: limits.unauthenticated,
    store: stores.rateLimits.create(UNAUTHENTICATED_LIMITER),
  });
  const table = buildRuleTable(limits);
  const rules = budgetRules(limits.budgets);

  return {
    limitUnauthenticated: unauthenticated.limit,
    forgiveAuthenticated: unauthenticated.forgive,
    limitRequests: limitRequests({
      ...deps,
      table,
      agent: options.agent,
      stores: stores.rateLimits,
    }),
    budgetGuard: createBudgetGuard({ rules, store: stores.budgets, failOpen, audit, logger }),
    readiness: failOpen || redis === undefined ? [] : [storeReadiness(redis)],
    async close() {
      stores.rateLimits.close();
      await stores.budgets.close();
      await redis?.close();
    },
  };
}

function openStores(limits: LimitsConfig, redis: LimitsRedis | undefined) {
  const { retentionMs } = limits.budgets;
  if (redis === undefined || limits.redis === undefined) {
    return { rateLimits: memoryStores(), budgets: memoryBudgetStore(retentionMs) };
  }

  const { prefix } = limits.redis;
  const rateLimits: RateLimitStores = redisStores(redis, prefix);
  const budgets: BudgetStore = redisBudgetStore(redis, prefix, retentionMs);
  return { rateLimits, budgets };
}

// Failing open, Warden serves without its store, so only a failing-closed store takes it out of
// rotation.
function storeReadiness(redis: LimitsRedis): ReadinessCheck {
  return { name: 'limits store', check: () => redis.isReady() };
}

function warnIfFailOpen(failOpen: boolean, logger: Logger): void {
  if (!failOpen) return;

  logger.warn(
    'limits.redis.failOpen is set: while Redis is unreachable, rate limits and budgets are NOT ' +
      'enforced. Production deployments SHOULD fail closed.',
    { code: 'WARDEN_LIMITS_FAIL_OPEN' },
  );
}
