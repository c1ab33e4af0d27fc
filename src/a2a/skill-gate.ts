import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isWardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { AuditTrail } from '../audit/event.js';
import type { Principal } from '../auth/principal.js';
import type { LoadedAgent } from '../agent/loaded-agent.js';
import { validateSkillArgs } from '../agent/skill-args.js';
import { principalOf } from '../auth/authenticate.js';
import { sendInsufficientScope } from '../auth/challenge.js';
import { sendProtocolError, type A2aBinding } from '../http/protocol-error.js';
import { jsonRpcIdOf, readRequestedSkill } from './operation.js';

/** Options for {@link gateSkills}. */
export interface SkillGateOptions {
  agent: LoadedAgent;
  binding: A2aBinding;
  audit: AuditTrail;
  logger: Logger;
}

/**
 * Middleware deciding, before the SDK creates a task, whether the caller may invoke the skill its
 * message asks for: the token must carry every scope the card declares for that skill (else 403
 * `insufficient_scope`), the skill must exist and its arguments must be valid (else -32602 naming
 * the field). Operations other than sending a message pass through.
 */
export function gateSkills(options: SkillGateOptions): RequestHandler {
  const log = options.logger.child({ module: 'skill-gate' });

  return async function checkSkill(req: Request, res: Response, next: NextFunction) {
    const request = readRequestedSkill(req, options.binding, options.agent.skills);
    if (request.kind === 'none') return next();
    if (request.kind === 'unknown-skill') {
      const known = [...options.agent.skills.keys()].join(', ');
      return invalidParams(
        req,
        res,
        options.binding,
        `unknown skill "${request.skillId}"; this agent offers: ${known}`,
      );
    }

    const required = options.agent.requiredScopes.get(request.skill.id) ?? [];
    const principal = principalOf(req);
    if (principal === undefined || required.some((scope) => !principal.scopes.has(scope))) {
      log.info('scope.denied', { skill: request.skill.id, required });
      await recordScopeDenied(options.audit, principal, request.skill.id, required, log);
      return sendInsufficientScope(res, options.binding, required);
    }

    try {
      validateSkillArgs(request.skill, request.args);
    } catch (error) {
      return invalidParams(
        req,
        res,
        options.binding,
        isWardenError(error) ? error.publicMessage : 'invalid arguments',
      );
    }
    next();
  };
}

function invalidParams(req: Request, res: Response, binding: A2aBinding, message: string): void {
  const error = {
    status: 400,
    jsonRpcCode: -32602,
    rpcStatus: 'INVALID_ARGUMENT',
    reason: 'INVALID_PARAMS',
    message,
  };
  sendProtocolError(res, binding, error, jsonRpcIdOf(req));
}

async function recordScopeDenied(
  audit: AuditTrail,
  principal: Principal | undefined,
  skill: string,
  required: readonly string[],
  log: Logger,
): Promise<void> {
  try {
    const detail = { required, granted: principal ? [...principal.scopes] : [] };
    await audit.record({ event: 'scope.denied', principal, skill, decision: 'deny', detail });
  } catch (error) {
    log.error('audit write failed', { event: 'scope.denied', error });
  }
}
