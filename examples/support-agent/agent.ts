import { defineAgent, type AgentDefinition } from '../../src/agent/define.js';
import { SupportData } from './data.js';
import { supportSkills } from './skills.js';
import { supportTools } from './tools.js';

/**
 * The customer-support agent: profile lookup, order history, support tickets and refunds over
 * in-memory sample data. Each call builds a fresh back office, so tests never share state.
 */
export function createSupportAgent(data = new SupportData()): AgentDefinition {
  const tools = supportTools(data);
  return defineAgent({ skills: supportSkills(tools), tools: Object.values(tools) });
}

export default createSupportAgent();
