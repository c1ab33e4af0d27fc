import type { BudgetScope } from './budget-rules.js';

/** One counter to add to, and the most it may reach. Integers: calls, or millionths of a total. */
export interface BudgetCharge {
  readonly scope: BudgetScope;
  /** The counter's name within its task or context. */
  readonly counter: string;
  readonly amount: number;
  readonly max: number;
}

/** Where the counters of one tool call live. */
export interface BudgetKeys {
  /** The task id. */
  readonly task: string;
  /** The context, qualified by its owner: context ids are chosen by callers. */
  readonly context: string;
}

/**
 * The answer to a charge. Refused: nothing was added, `exceeded` is the index of the first charge
 * over its maximum and `values` are the counters as they stand. Admitted: every amount was added
 * and `values` are the new counters.
 */
export interface ChargeResult {
  readonly admitted: boolean;
  readonly exceeded: number;
  readonly values: readonly number[];
}

/**
 * Budget counters. `charge` is atomic: either every counter stays within its maximum and all are
 * added to, or none is, even when several Warden processes charge the same context at once.
 */
export interface BudgetStore {
  charge(keys: BudgetKeys, charges: readonly BudgetCharge[]): Promise<ChargeResult>;
  close(): Promise<void>;
}

interface Counters {
  readonly values: Map<string, number>;
  expiresAt: number;
}

/**
 * Budget counters in this process's memory. JavaScript runs `charge` to its end without
 * interruption, which makes it atomic. Counters idle for `retentionMs` are dropped.
 */
export function memoryBudgetStore(retentionMs: number): BudgetStore {
  const scopes = new Map<string, Counters>();
  const sweep = setInterval(() => dropExpired(scopes), Math.min(retentionMs, 60_000));
  sweep.unref();

  return {
    async charge(keys, charges) {
      const now = Date.now();
      const counters = (scope: BudgetScope) => countersOf(scopes, `${scope}:${keys[scope]}`, now);
      const values = charges.map((c) => counters(c.scope).values.get(c.counter) ?? 0);

      const exceeded = charges.findIndex((c, i) => (values[i] ?? 0) + c.amount > c.max);
      if (exceeded >= 0) return { admitted: false, exceeded, values };

      const added = charges.map((c, i) => {
        const entry = counters(c.scope);
        entry.values.set(c.counter, (values[i] ?? 0) + c.amount);
        entry.expiresAt = now + retentionMs;
        return (values[i] ?? 0) + c.amount;
      });
      return { admitted: true, exceeded: -1, values: added };
    },
    async close() {
      clearInterval(sweep);
      scopes.clear();
    },
  };
}

function countersOf(scopes: Map<string, Counters>, key: string, now: number): Counters {
  const found = scopes.get(key);
  if (found !== undefined && found.expiresAt > now) return found;

  const fresh = { values: new Map<string, number>(), expiresAt: now };
  scopes.set(key, fresh);
  return fresh;
}

function dropExpired(scopes: Map<string, Counters>): void {
  const now = Date.now();
  for (const [key, counters] of scopes) if (counters.expiresAt <= now) scopes.delete(key);
}
