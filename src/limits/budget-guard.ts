import { isWardenError, WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { AuditTrail } from '../audit/event.js';
import { ownerKeyOf } from '../auth/principal.js';
import type { ToolCall, ToolGuard } from '../agent/tool-call.js';
import { hashOf } from './keys.js';
import { describeBudget, type BudgetRule } from './budget-rules.js';
import type { BudgetCharge, BudgetStore, ChargeResult } from './budget-store.js';

/** Totals are counted in millionths, as integers, so that 0.1 + 0.2 adds up to exactly 0.3. */
const UNITS_PER_ONE = 1_000_000;

/** What {@link createBudgetGuard} needs. */
export interface BudgetGuardOptions {
  readonly rules: readonly BudgetRule[];
  readonly store: BudgetStore;
  /** Admit tool calls unchecked while the store is unreachable (`limits.redis.failOpen`). */
  readonly failOpen: boolean;
  readonly audit: AuditTrail;
  readonly logger: Logger;
}

/**
 * The tool guard of the per-task and per-context budgets. Before a tool runs it charges every
 * budget that applies to the call, atomically; over any of them, nothing is charged, the call is
 * refused with `ERR_BUDGET_EXCEEDED` naming the budget, and `budget.exceeded` is audited with the
 * counters. A call is charged when it is admitted, whether or not the tool then succeeds.
 */
export function createBudgetGuard(options: BudgetGuardOptions): ToolGuard {
  const log = options.logger.child({ module: 'budgets' });

  return {
    async checkToolCall(call) {
      const rules = options.rules.filter((r) => r.tool === undefined || r.tool === call.tool.name);
      if (rules.length === 0) return;

      const charges = rules.map((rule) => chargeOf(rule, call));
      const result = await chargeOrFail(options, call, charges, log);
      if (result === undefined || result.admitted) return;

      const refusal = describeRefusal(rules, charges, result);
      await recordExceeded(options.audit, call, refusal, log);
      throw new WardenError('ERR_BUDGET_EXCEEDED', refusal.message);
    },
  };
}

async function chargeOrFail(
  options: BudgetGuardOptions,
  call: ToolCall,
  charges: BudgetCharge[],
  log: Logger,
): Promise<ChargeResult | undefined> {
  const context = hashOf(JSON.stringify([ownerKeyOf(call.principal), call.contextId]));
  try {
    return await options.store.charge({ task: call.taskId, context }, charges);
  } catch (error) {
    if (!isWardenError(error, 'ERR_LIMITS_UNAVAILABLE')) throw error;
    if (!options.failOpen) {
      throw new WardenError('ERR_LIMITS_UNAVAILABLE', error.message, {
        cause: error,
        publicMessage: 'budgets cannot be checked right now; try again shortly',
      });
    }
    log.debug('budgets skipped (fail open)', { tool: call.tool.name });
    return undefined;
  }
}

function chargeOf(rule: BudgetRule, call: ToolCall): BudgetCharge {
  const counter = JSON.stringify([rule.tool ?? '*', rule.field ?? null]);
  if (rule.field === undefined) return { scope: rule.scope, counter, amount: 1, max: rule.max };

  const value = readField(call.input, rule.field);
  if (value < 0 || !Number.isFinite(value) || value * UNITS_PER_ONE > Number.MAX_SAFE_INTEGER) {
    // A negative amount would lower the running total and reopen the budget.
    throw new WardenError(
      'ERR_BUDGET_EXCEEDED',
      `"${call.tool.name}" ${rule.field} ${value} cannot be counted against a budget`,
    );
  }
  const amount = Math.round(value * UNITS_PER_ONE);
  return { scope: rule.scope, counter, amount, max: Math.round(rule.max * UNITS_PER_ONE) };
}

/** The number at `path` (dotted) in a tool's validated input; absent counts as 0. */
export function readField(input: unknown, path: string): number {
  let value: unknown = input;
  for (const step of path.split('.')) {
    value = typeof value === 'object' && value !== null ? Reflect.get(value, step) : undefined;
  }
  return value === undefined || value === null ? 0 : Number(value);
}

interface Refusal {
  readonly budget: string;
  readonly message: string;
  readonly counters: Record<string, number>;
  readonly limit: number;
  readonly used: number;
  readonly requested: number;
}

function describeRefusal(
  rules: readonly BudgetRule[],
  charges: readonly BudgetCharge[],
  result: ChargeResult,
): Refusal {
  const rule = rules[result.exceeded] as BudgetRule;
  const unit = (i: number) => (rules[i]?.field === undefined ? 1 : UNITS_PER_ONE);
  const usedUnits = result.values[result.exceeded] ?? 0;
  const requestedUnits = charges[result.exceeded]?.amount ?? 0;
  const [used, requested, reached] = [usedUnits, requestedUnits, usedUnits + requestedUnits].map(
    (units) => units / unit(result.exceeded),
  ) as [number, number, number];
  const counters = Object.fromEntries(
    rules.map((r, i) => [r.name, (result.values[i] ?? 0) / unit(i)]),
  );

  const message =
    rule.field === undefined
      ? `budget exceeded: at most ${rule.max} ${describeBudget(rule)}`
      : `budget exceeded: ${describeBudget(rule)} would reach ${reached} of ${rule.max}`;
  return { budget: rule.name, message, counters, limit: rule.max, used, requested };
}

// The call is refused whatever happens here; a failed audit write is logged, not raised.
async function recordExceeded(audit: AuditTrail, call: ToolCall, refusal: Refusal, log: Logger) {
  const { message: _message, ...detail } = refusal;
  try {
    await audit.record({
      event: 'budget.exceeded',
      principal: call.principal,
      taskId: call.taskId,
      contextId: call.contextId,
      tool: call.tool.name,
      parameters: call.input,
      decision: 'deny',
      outcome: 'ERR_BUDGET_EXCEEDED',
      detail,
    });
  } catch (error) {
    log.error('audit write failed', { event: 'budget.exceeded', error });
  }
  log.info('budget.exceeded', { tool: call.tool.name, taskId: call.taskId, ...detail });
}
