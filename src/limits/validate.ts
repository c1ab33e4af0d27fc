import { WardenError } from '../errors.js';
import type { LoadedAgent } from '../agent/loaded-agent.js';
import { ANY_SKILL, type LimitsConfig } from './config.js';

/**
 * Checks what the schema alone cannot: that `limits` names only skills the agent offers and tools
 * it declares, and that every budgeted total is a numeric input field of its tool (read from the
 * tool's zod schema). Throws `ERR_CONFIG_INVALID` naming each offending key and the file.
 */
export function validateLimits(limits: LimitsConfig, agent: LoadedAgent, source: string): void {
  const problems = [
    ...unknownSkills('limits.skills', limits.skills, agent),
    ...Object.entries(limits.agents).flatMap(([name, override]) =>
      unknownSkills(`limits.agents.${name}.skills`, override.skills, agent),
    ),
    ...budgetProblems(limits, agent),
  ];
  if (problems.length === 0) return;

  const lines = problems.map((problem) => `  ${problem}`).join('\n');
  throw new WardenError('ERR_CONFIG_INVALID', `invalid configuration in ${source}:\n${lines}`);
}

function unknownSkills(key: string, rules: Record<string, unknown>, agent: LoadedAgent): string[] {
  const known = [...agent.skills.keys()].join(', ');
  return Object.keys(rules)
    .filter((id) => id !== ANY_SKILL && !agent.skills.has(id))
    .map((id) => `${key}.${id}: no such skill; this agent offers ${known} (or "${ANY_SKILL}")`);
}

function budgetProblems(limits: LimitsConfig, agent: LoadedAgent): string[] {
  return Object.entries(limits.budgets.tools).flatMap(([name, budget]) => {
    const key = `limits.budgets.tools.${name}`;
    const tool = agent.tools.get(name);
    if (tool === undefined) {
      return [`${key}: no such tool; this agent declares ${[...agent.tools.keys()].join(', ')}`];
    }

    return Object.keys(budget.totals).flatMap((field) => {
      const type = inputFieldType(tool.input, field.split('.'));
      if (type === 'number') return [];
      const found = type === undefined ? 'not a field of its input' : `a ${type}`;
      return [`${key}.totals.${field}: only a numeric input field can be totalled; it is ${found}`];
    });
  });
}

// zod wrappers that keep the value's type: a field that is an optional number is a number.
const WRAPPERS = new Set([
  'optional',
  'nullable',
  'default',
  'prefault',
  'readonly',
  'nonoptional',
]);

/**
 * The zod type name (`number`, `string`, ...) of the field at `path` of an input schema, or
 * undefined when the schema has no such field. Read from zod 4's `def`, the schema's own
 * description of itself.
 */
export function inputFieldType(schema: unknown, path: readonly string[]): string | undefined {
  const def = defOf(schema);
  const type = def?.['type'];
  if (def === undefined || typeof type !== 'string') return undefined;
  if (WRAPPERS.has(type)) return inputFieldType(def['innerType'], path);

  const [head, ...rest] = path;
  if (head === undefined) return type;
  if (type !== 'object') return undefined;

  const shape = def['shape'];
  const field = typeof shape === 'object' && shape !== null ? Reflect.get(shape, head) : undefined;
  return field === undefined ? undefined : inputFieldType(field, rest);
}

function defOf(schema: unknown): Record<string, unknown> | undefined {
  const def =
    typeof schema === 'object' && schema !== null ? Reflect.get(schema, 'def') : undefined;
  return typeof def === 'object' && def !== null ? (def as Record<string, unknown>) : undefined;
}
