import { z } from 'zod';
import { defineAgent, defineSkill, defineTool } from '../../src/agent/define.js';

/**
 * Returns the text it is given. Trivial on purpose: it exists so that an echo still crosses
 * Warden's tool guard, which is the path the benchmark is meant to measure. Not named `echo`:
 * skills and tools share Cedar's action names, and Warden refuses a name that is both.
 */
export const echoTool = defineTool({
  name: 'echo-text',
  description: 'Returns the text it is given',
  input: z.object({ text: z.string() }),
  run: async ({ text }) => text,
});

/** The `echo` skill: `{"skill": "echo", "text": "hi"}` completes with "hi" as text and data. */
export const echoSkill = defineSkill({
  id: 'echo',
  input: z.object({ text: z.string().max(10_000) }).strict(),
  parseText: (text) => ({ text }),
  run: async ({ text }, context) => {
    const echoed = await context.callTool(echoTool, { text });

    return { text: echoed, data: { echo: echoed } };
  },
});

/**
 * The echo agent: one skill over one guarded tool, with no state. Warden's benchmark serves it;
 * its Agent Card source is `agent-card/echo-agent.yaml`.
 */
export default defineAgent({ skills: [echoSkill], tools: [echoTool] });
