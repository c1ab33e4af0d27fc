import { entityValue, type EntityResolvers } from '../../src/agent/define.js';
import type { Forge } from './data.js';

/**
 * What the forge tells policy (`policies/dev`): a repository's role bindings and protected
 * branches; a pull request's check status and target, inside its repository.
 */
export function devResolvers(forge: Forge): EntityResolvers {
  const users = (subs: string[]) => subs.map((sub) => entityValue('User', sub));

  return {
    Repository: (id) => {
      const repo = forge.repositories.get(id);
      if (repo === undefined) return undefined;
      return {
        attrs: {
          codeReaders: users(repo.codeReaders),
          codeCommenters: users(repo.codeCommenters),
          developers: users(repo.developers),
          protectedBranches: repo.protectedBranches,
        },
      };
    },
    PullRequest: (id) => {
      const pull = forge.pullRequests.get(id);
      if (pull === undefined) return undefined;
      const repository = { type: 'Repository', id: pull.repo };
      return {
        attrs: {
          repository: entityValue(repository.type, repository.id),
          checksPassing: pull.checksPassing,
          targetBranch: pull.into,
          merged: pull.merged,
        },
        parents: [repository],
      };
    },
  };
}
