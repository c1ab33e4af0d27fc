import { defineAgent, type AgentDefinition } from '../../src/agent/define.js';
import { Forge } from './data.js';
import { devResolvers } from './resolvers.js';
import { devSkills } from './skills.js';
import { devTools } from './tools.js';

/**
 * The development agent: reads code, comments on pull requests, creates branches and merges, over
 * an in-memory forge. Its policies (`policies/dev`) give per-repository roles, keep protected
 * branches out of reach, hold merges for a maintainer and allow changes only in working hours.
 */
export function createDevAgent(forge = new Forge()): AgentDefinition {
  const tools = devTools(forge);
  return defineAgent({
    skills: devSkills(tools),
    tools: Object.values(tools),
    resolvers: devResolvers(forge),
  });
}

export default createDevAgent();
