import { z } from 'zod';
import { defineSkill } from '../../src/agent/define.js';
import type { Principal } from '../../src/auth/principal.js';
import type { DevTools } from './tools.js';

const repo = z.string().min(1);

/** The four development skills; ids match `agent-card.yaml`. */
export function devSkills(tools: DevTools) {
  const readCode = defineSkill({
    id: 'read-code',
    input: z.object({ repo, path: z.string().min(1) }).strict(),
    run: async (args, ctx) => {
      const content = await ctx.callTool(tools.readFile, args);
      return { text: content, data: { repo: args.repo, path: args.path, content } };
    },
  });

  const review = defineSkill({
    id: 'review',
    input: z
      .object({ repo, pr: z.number().int().positive(), body: z.string().min(1).max(2000) })
      .strict(),
    run: async (args, ctx) => {
      const result = await ctx.callTool(tools.commentPr, { ...args, by: actingFor(ctx.principal) });
      return { text: `commented on ${result.pr}`, data: result };
    },
  });

  const branch = defineSkill({
    id: 'branch',
    input: z
      .object({ repo, branch: z.string().min(1).max(200), from: z.string().default('main') })
      .strict(),
    run: async (args, ctx) => {
      const result = await ctx.callTool(tools.createBranch, args);
      return {
        text: `created ${result.branch} from ${result.from} in ${result.repo}`,
        data: result,
      };
    },
  });

  const merge = defineSkill({
    id: 'merge',
    input: z.object({ repo, pr: z.number().int().positive() }).strict(),
    run: async (args, ctx) => {
      const result = await ctx.callTool(tools.mergePr, args);
      return { text: `merged ${result.pr} into ${result.into}`, data: result };
    },
  });

  return [readCode, review, branch, merge];
}

function actingFor(principal: Principal): string {
  return principal.user ?? principal.agent;
}
