import { defineAgent, type AgentDefinition } from '../../src/agent/define.js';
import { SupportData } from './data.js';
import { supportSkills } from './skills.js';
import { supportTools } from './tools.js';
import { supportResolvers } from './resolvers.js';

/**
 * The customer-support agent: profile lookup, order history, support tickets and refunds over
 * in-memory sample data. Each call builds a fresh back office, so tests never share state. Its
 * tools declare the resources they act on and its resolvers what policy may know of them; the
 * policies are in `policies/support`.
 */
export function createSupportAgent(data = new SupportData()): AgentDefinition {
  const tools = supportTools(data);
  return defineAgent({
    skills: supportSkills(tools),
    tools: Object.values(tools),
    resolvers: supportResolvers(data),
  });
}

export default createSupportAgent();
