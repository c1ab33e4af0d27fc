import { z } from 'zod';
import { defineTool, failSkill } from '../../src/agent/define.js';
import { prKey, type Forge } from './data.js';

const repo = z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name');

/**
 * The development agent's tools. Each declares the resource it acts on (a repository or a pull
 * request) and the input fields policy reads (`branch`); the agent's resolvers add the role
 * bindings, protected branches and check status (`resolvers.ts`).
 */
export function devTools(forge: Forge) {
  const readFile = defineTool({
    name: 'read-file',
    description: 'Reads a file of a repository',
    input: z.object({ repo, path: z.string().min(1) }),
    policy: { resource: ({ repo: id }) => ({ type: 'Repository', id }) },
    run: async ({ repo: name, path }) =>
      repository(forge, name).files.get(path) ?? failSkill(`${name} has no file "${path}"`),
  });

  const commentPr = defineTool({
    name: 'comment-pr',
    description: 'Comments on a pull request',
    input: z.object({
      repo,
      pr: z.number().int().positive(),
      body: z.string().min(1),
      by: z.string(),
    }),
    policy: { resource: ({ repo: name, pr }) => ({ type: 'PullRequest', id: prKey(name, pr) }) },
    run: async ({ repo: name, pr, body, by }) => {
      const pull =
        forge.pullRequests.get(prKey(name, pr)) ?? failSkill(`no pull request ${prKey(name, pr)}`);
      pull.comments.push({ by, body });
      return { pr: prKey(name, pr), comments: pull.comments.length };
    },
  });

  const createBranch = defineTool({
    name: 'create-branch',
    description: 'Creates a branch',
    input: z.object({ repo, branch: z.string().min(1), from: z.string().min(1) }),
    policy: { resource: ({ repo: id }) => ({ type: 'Repository', id }) },
    run: async ({ repo: name, branch, from }) => {
      const target = repository(forge, name);
      if (!target.branches.has(from)) failSkill(`${name} has no branch "${from}"`);
      if (target.branches.has(branch)) failSkill(`${name} already has a branch "${branch}"`);
      target.branches.add(branch);
      return { repo: name, branch, from };
    },
  });

  const mergePr = defineTool({
    name: 'merge-pr',
    description: 'Merges a pull request',
    input: z.object({ repo, pr: z.number().int().positive() }),
    policy: { resource: ({ repo: name, pr }) => ({ type: 'PullRequest', id: prKey(name, pr) }) },
    run: async ({ repo: name, pr }) => {
      const pull =
        forge.pullRequests.get(prKey(name, pr)) ?? failSkill(`no pull request ${prKey(name, pr)}`);
      pull.merged = true;
      return { pr: prKey(name, pr), merged: true, into: pull.into };
    },
  });

  return { readFile, commentPr, createBranch, mergePr };
}

export type DevTools = ReturnType<typeof devTools>;

function repository(forge: Forge, name: string) {
  return forge.repositories.get(name) ?? failSkill(`no repository ${name}`);
}
