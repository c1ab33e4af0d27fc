import type { Logger } from '../log/logger.js';
import type { AuditTrail } from '../audit/event.js';
import { isWardenError } from '../errors.js';
import { checkAgentActions, type AgentActions } from './agent-check.js';
import type { PolicyEngine } from './engine.js';
import { loadPolicyBundle, type PolicySources } from './load.js';

/** What {@link reloadPolicy} needs. */
export interface ReloadOptions {
  readonly engine: PolicyEngine;
  readonly sources: PolicySources;
  readonly agent: AgentActions;
  readonly audit: AuditTrail;
  readonly logger: Logger;
}

/**
 * Reads the schema and policies again and puts them in force. A set that fails to parse,
 * validate or fit the agent leaves the previous one in force; the error names file and line.
 * Either way `policy.reloaded` is audited with the hash in force afterwards.
 */
export async function reloadPolicy(options: ReloadOptions): Promise<boolean> {
  const previous = options.engine.current().hash;
  let error: unknown;
  try {
    const bundle = loadPolicyBundle(options.sources);
    checkAgentActions(bundle.shape, options.agent);
    options.engine.replace(bundle);
  } catch (caught) {
    error = caught;
  }

  const current = options.engine.current();
  const outcome = error === undefined ? 'reloaded' : isWardenError(error) ? error.code : 'failed';
  const detail = { previousHash: previous, policies: current.policies.length };
  if (error === undefined)
    options.logger.info('policy.reloaded', { policySetHash: current.hash, ...detail });
  else
    options.logger.error('policy reload failed; the previous policy set stays in force', { error });

  await options.audit
    .record({ event: 'policy.reloaded', policySetHash: current.hash, outcome, detail })
    .catch((auditError: unknown) =>
      options.logger.error('audit write failed', { error: auditError }),
    );
  return error === undefined;
}
