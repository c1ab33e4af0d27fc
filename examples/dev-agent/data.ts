/** In-memory sample data of the development agent: one forge with two repositories. */

export interface Repository {
  name: string;
  files: Map<string, string>;
  branches: Set<string>;
  /** Branches no one may create or overwrite through the agent. */
  protectedBranches: string[];
  /** Repository role bindings, by user: the policy's per-repository RBAC. */
  codeReaders: string[];
  codeCommenters: string[];
  developers: string[];
}

export interface PullRequest {
  repo: string;
  number: number;
  title: string;
  from: string;
  into: string;
  checksPassing: boolean;
  merged: boolean;
  comments: { by: string; body: string }[];
}

/** The forge the tools act on; a fresh one per agent instance. */
export class Forge {
  readonly repositories = new Map<string, Repository>([
    [
      'acme/widgets',
      {
        name: 'acme/widgets',
        files: new Map([
          ['README.md', '# Widgets\n'],
          ['src/widget.ts', 'export const widget = 1;\n'],
        ]),
        branches: new Set(['main', 'release/1.x', 'feature/gears']),
        protectedBranches: ['main', 'release/1.x'],
        codeReaders: ['alice', 'bob', 'carol'],
        codeCommenters: ['alice', 'bob'],
        developers: ['alice'],
      },
    ],
    [
      'acme/secrets',
      {
        name: 'acme/secrets',
        files: new Map([['keys.txt', 'not for agents\n']]),
        branches: new Set(['main']),
        protectedBranches: ['main'],
        codeReaders: ['carol'],
        codeCommenters: [],
        developers: [],
      },
    ],
  ]);

  readonly pullRequests = new Map<string, PullRequest>([
    ['acme/widgets#7', pr(7, 'Add gears', true)],
    ['acme/widgets#8', pr(8, 'Rewrite everything', false)],
  ]);
}

function pr(number: number, title: string, checksPassing: boolean): PullRequest {
  const base = { repo: 'acme/widgets', number, title, from: 'feature/gears', into: 'main' };
  return { ...base, checksPassing, merged: false, comments: [] };
}

/** The key of a pull request, `owner/repo#number`: also its policy entity id. */
export function prKey(repo: string, number: number): string {
  return `${repo}#${number}`;
}
