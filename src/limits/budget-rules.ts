import type { BudgetsConfig } from './config.js';

/** Over what a budget counts: one task, or one caller's context (conversation). */
export type BudgetScope = 'task' | 'context';

/** One budget: a maximum number of calls, or of the running total of a numeric input field. */
export interface BudgetRule {
  /** The configuration key it came from, e.g. `tools.issue-refund.totals.amount.perTask`. */
  readonly name: string;
  readonly scope: BudgetScope;
  /** The tool it counts; undefined counts calls of every tool. */
  readonly tool: string | undefined;
  /** The input field whose values it adds up; undefined counts calls. */
  readonly field: string | undefined;
  /** Most calls, or most the field may add up to, in the field's own units. */
  readonly max: number;
}

/** Lists the budgets `limits.budgets` declares. */
export function budgetRules(config: BudgetsConfig): BudgetRule[] {
  const rules: BudgetRule[] = [];
  const add = (rule: Omit<BudgetRule, 'max'>, max: number | undefined) => {
    if (max !== undefined) rules.push({ ...rule, max });
  };

  const anyTool = { tool: undefined, field: undefined };
  add({ ...anyTool, name: 'toolCallsPerTask', scope: 'task' }, config.toolCallsPerTask);
  add({ ...anyTool, name: 'toolCallsPerContext', scope: 'context' }, config.toolCallsPerContext);

  for (const [tool, budget] of Object.entries(config.tools)) {
    const calls = { tool, field: undefined };
    add({ ...calls, name: `tools.${tool}.callsPerTask`, scope: 'task' }, budget.callsPerTask);
    add(
      { ...calls, name: `tools.${tool}.callsPerContext`, scope: 'context' },
      budget.callsPerContext,
    );

    for (const [field, totals] of Object.entries(budget.totals)) {
      const total = { tool, field, name: `tools.${tool}.totals.${field}` };
      add({ ...total, name: `${total.name}.perTask`, scope: 'task' }, totals.perTask);
      add({ ...total, name: `${total.name}.perContext`, scope: 'context' }, totals.perContext);
    }
  }
  return rules;
}

/** Describes a rule for people: `"issue-refund" amount per task`, `tool calls per context`. */
export function describeBudget(rule: BudgetRule): string {
  const what =
    rule.tool === undefined
      ? 'tool calls'
      : rule.field === undefined
        ? `"${rule.tool}" calls`
        : `"${rule.tool}" ${rule.field}`;
  return `${what} per ${rule.scope}`;
}
