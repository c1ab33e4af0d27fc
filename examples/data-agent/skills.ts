import { z } from 'zod';
import { defineSkill } from '../../src/agent/define.js';
import type { DataTools } from './tools.js';

/** The four data skills; ids match `agent-card.yaml`. */
export function dataSkills(tools: DataTools) {
  const readInput = defineSkill({
    id: 'read-input',
    input: z.object({ path: z.string().min(1) }).strict(),
    run: async (args, ctx) => {
      const content = await ctx.callTool(tools.readFile, args);
      return { text: content, data: { path: args.path, bytes: Buffer.byteLength(content) } };
    },
  });

  const writeOutput = defineSkill({
    id: 'write-output',
    input: z.object({ path: z.string().min(1), content: z.string().max(1_000_000) }).strict(),
    run: async (args, ctx) => {
      const written = await ctx.callTool(tools.writeFile, args);
      return { text: `wrote ${written.bytes} bytes`, data: written };
    },
  });

  const query = defineSkill({
    id: 'query',
    input: z
      .object({
        table: z.string().min(1),
        operation: z.enum(['select', 'insert', 'update', 'delete']).default('select'),
        limit: z.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    run: async (args, ctx) => {
      const rows = await ctx.callTool(tools.queryTable, args);
      return { text: `${rows.length} row(s) from ${args.table}`, data: { rows } };
    },
  });

  const fetchSkill = defineSkill({
    id: 'fetch',
    input: z.object({ url: z.url() }).strict(),
    run: async (args, ctx) => {
      const response = await ctx.callTool(tools.fetchUrl, args);
      return { text: `HTTP ${response.status}`, data: response };
    },
  });

  return [readInput, writeOutput, query, fetchSkill];
}
