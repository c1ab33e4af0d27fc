import { WardenError } from '../errors.js';
import { skillScopes, type CardSource } from '../card/source.js';
import type { AgentDefinition, SkillDefinition, ToolDefinition } from './define.js';

/** An agent checked against its Agent Card source, indexed for the request path. */
export interface LoadedAgent {
  readonly skills: ReadonlyMap<string, SkillDefinition>;
  readonly tools: ReadonlyMap<string, ToolDefinition>;
  /** Skill id -> scopes required: the very table the Agent Card declares, and so enforces. */
  readonly requiredScopes: ReadonlyMap<string, readonly string[]>;
  /** What the agent answers to a message that names no skill it knows. */
  readonly helpText: string;
}

/**
 * Pairs the agent's code with its card: every skill in the card must be implemented and every
 * implemented skill must be in the card, or the card would promise what the agent cannot do (or
 * the agent would run a skill whose scopes no one declared).
 */
export function loadAgent(agent: AgentDefinition, card: CardSource): LoadedAgent {
  const declared = new Set(card.skills.map((s) => s.id));
  const implemented = new Map(agent.skills.map((s) => [s.id, s]));

  const missing = [...declared].filter((id) => !implemented.has(id));
  const undeclared = [...implemented.keys()].filter((id) => !declared.has(id));
  if (missing.length > 0 || undeclared.length > 0) {
    const detail = [
      missing.length > 0 ? `not implemented: ${missing.join(', ')}` : '',
      undeclared.length > 0 ? `not in the card: ${undeclared.join(', ')}` : '',
    ].filter(Boolean);
    throw new WardenError(
      'ERR_AGENT_MISMATCH',
      `agent and Agent Card disagree on skills (${detail.join('; ')})`,
    );
  }

  return {
    skills: implemented,
    tools: indexTools(agent.tools),
    requiredScopes: skillScopes(card),
    helpText: helpTextOf(card),
  };
}

function indexTools(tools: readonly ToolDefinition[]): ReadonlyMap<string, ToolDefinition> {
  const byName = new Map<string, ToolDefinition>();
  for (const tool of tools) {
    if (byName.has(tool.name))
      throw new WardenError('ERR_AGENT_MISMATCH', `tool "${tool.name}" is declared twice`);
    byName.set(tool.name, tool);
  }
  return byName;
}

function helpTextOf(card: CardSource): string {
  const lines = card.skills
    .filter((s) => !s.extendedOnly)
    .map((s) => `- ${s.id}: ${s.description}`);
  const example = `{"skill": "${card.skills[0]?.id ?? ''}", ...}`;
  return `Send a data part naming a skill, e.g. ${example}. Skills:\n${lines.join('\n')}`;
}
