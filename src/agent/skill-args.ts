import { WardenError } from '../errors.js';
import type { SkillDefinition } from './define.js';

/**
 * Validates a skill's arguments against its declared schema. The message names each offending
 * field, so a peer agent can correct its request.
 */
export function validateSkillArgs<A>(skill: SkillDefinition<A>, rawArgs: unknown): A {
  const parsed = skill.input.safeParse(rawArgs);
  if (parsed.success) return parsed.data;

  const issues = parsed.error.issues.map(
    (i) => `"${i.path.join('.') || '(arguments)'}": ${i.message}`,
  );
  throw new WardenError(
    'ERR_SKILL_INPUT',
    `skill "${skill.id}" arguments are invalid: ${issues.join('; ')}`,
  );
}
