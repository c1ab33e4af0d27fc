import type { Principal } from '../auth/principal.js';
import type { SkillDefinition } from './define.js';
import type { TaskSession } from './task-session.js';

/** A skill about to run, as the skill guard sees it. */
export interface SkillCall {
  readonly skill: SkillDefinition;
  /** The validated arguments. */
  readonly args: unknown;
  readonly principal: Principal;
  readonly taskId: string;
  readonly contextId: string;
  readonly session?: TaskSession | undefined;
}

/**
 * Decides a skill once its task exists, before the skill runs: it throws a `WardenError` to stop
 * it. Scopes are checked before this, at the request gate.
 */
export interface SkillGuard {
  checkSkill(call: SkillCall): Promise<void>;
}

/** A skill guard that lets every skill run whose scopes the token carries. */
export const allowAllSkills: SkillGuard = { checkSkill: async () => {} };
