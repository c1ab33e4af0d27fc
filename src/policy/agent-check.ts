import { WardenError } from '../errors.js';
import { CONTEXT_ATTRIBUTES, ENTITY_TYPES } from './prelude.js';
import type { SchemaShape } from './schema-shape.js';

/** The names an agent gives its skills and tools: each is a Cedar action. */
export interface AgentActions {
  readonly skills: Iterable<string>;
  readonly tools: Iterable<string>;
}

/**
 * Checks that the schema can decide every call the agent can make: each skill id and tool name is
 * an action, applying to `Agent` principals, whose context asks only for what Warden provides.
 * Without this a missing action would only show up as every call to it being denied.
 */
export function checkAgentActions(shape: SchemaShape, agent: AgentActions): void {
  const skills = [...agent.skills];
  const tools = [...agent.tools];
  const problems = [
    ...skills.filter((id) => tools.includes(id)).map((id) => `"${id}" is both a skill and a tool`),
    ...[...skills, ...tools].flatMap((name) => checkAction(shape, name)),
  ];
  if (problems.length === 0) return;

  const lines = problems.map((problem) => `  ${problem}`).join('\n');
  throw new WardenError('ERR_POLICY_INVALID', `policy schema does not fit the agent:\n${lines}`);
}

function checkAction(shape: SchemaShape, name: string): string[] {
  const action = shape.actions.get(name);
  if (action === undefined) return [`the schema declares no action "${name}"`];

  const problems: string[] = [];
  if (!action.principalTypes.includes(ENTITY_TYPES.agent)) {
    problems.push(`action "${name}" must apply to principal type Agent`);
  }
  const provided = new Set<string>(CONTEXT_ATTRIBUTES);
  for (const [attribute, declared] of action.context) {
    if (!provided.has(attribute)) {
      problems.push(`action "${name}": context.${attribute} is not one Warden provides`);
    } else if (attribute === 'input' && declared.type.kind !== 'Record') {
      problems.push(`action "${name}": context.input must be a record`);
    }
  }
  return problems;
}
