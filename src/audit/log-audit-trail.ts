import type { Logger } from '../log/logger.js';
import type { AuditEventInput, AuditTrail } from './event.js';

/**
 * An audit trail that writes each event as one structured log line, under the `audit` logger.
 * Not tamper-evident and not durable beyond the logger's transport: the hash-chained file trail
 * replaces it where `audit` is configured.
 */
export function createLogAuditTrail(logger: Logger): AuditTrail {
  const log = logger.child({ stream: 'audit' });

  return {
    async record(input: AuditEventInput) {
      const { principal, event, ...rest } = input;
      const who = principal && {
        issuer: principal.issuer,
        agent: principal.agent,
        user: principal.user,
        actors: principal.actors,
        tokenId: principal.tokenId,
      };
      log.info(event, { ...who, ...rest });
    },
    async close() {},
  };
}
