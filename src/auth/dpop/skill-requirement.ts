import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { WardenError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { AuditTrail } from '../../audit/event.js';
import type { A2aBinding } from '../../http/protocol-error.js';
import type { SkillDefinition } from '../../agent/define.js';
import { readRequestedSkill } from '../../a2a/operation.js';
import { principalOf } from '../authenticate.js';
import { sendAuthenticationError } from '../challenge.js';

/** Options of {@link requireDpopForSkills}. */
export interface DpopSkillOptions {
  /** Skills whose calls need a DPoP-bound token (`auth.dpop.requiredForSkills`). */
  skills: ReadonlySet<string>;
  agentSkills: ReadonlyMap<string, SkillDefinition>;
  binding: A2aBinding;
  audit: AuditTrail;
  logger: Logger;
}

/**
 * Middleware, after the body is parsed, refusing a message for a skill that requires DPoP unless
 * the caller's token is DPoP-bound; `authenticate` has then already checked the proof. The answer
 * is a 401 DPoP challenge (RFC 9449 §7.1), so the client can fetch a bound token and retry.
 * Reads the skill exactly as the skill gate and the executor do.
 */
export function requireDpopForSkills(options: DpopSkillOptions): RequestHandler {
  const log = options.logger.child({ module: 'auth' });

  return async function checkDpopSkill(req: Request, res: Response, next: NextFunction) {
    if (options.skills.size === 0) return next();
    const request = readRequestedSkill(req, options.binding, options.agentSkills);
    if (request.kind !== 'skill' || !options.skills.has(request.skill.id)) return next();

    const principal = principalOf(req);
    if (principal?.dpopKeyThumbprint !== undefined) return next();

    const failure = new WardenError('ERR_DPOP_REQUIRED', 'this skill requires a DPoP-bound token');
    log.info('token.rejected', { code: failure.code, skill: request.skill.id });
    await options.audit
      .record({
        event: 'token.rejected',
        principal,
        skill: request.skill.id,
        outcome: failure.code,
      })
      .catch((error: unknown) =>
        log.error('audit write failed', { event: 'token.rejected', error }),
      );
    sendAuthenticationError(res, options.binding, failure);
  };
}
