import type { AuditEntry } from '../audit/entry.js';
import {
  auditEntries,
  authFailures,
  authzDecisions,
  budgetRejections,
  rateLimitRejections,
} from './registry.js';

const DECISION_EVENTS = new Set([
  'scope.denied',
  'skill.allowed',
  'skill.denied',
  'tool.allowed',
  'tool.denied',
  'tool.held',
]);

/**
 * Counts one durable audit entry into the metrics derived from audit events, so each refusal and
 * decision is counted exactly once, where it is recorded.
 */
export function countAuditEntry(entry: AuditEntry): void {
  auditEntries.inc({ event: entry.event });

  if (entry.event === 'token.rejected') authFailures.inc({ reason: entry.outcome ?? 'unknown' });
  if (DECISION_EVENTS.has(entry.event)) authzDecisions.inc(decisionLabels(entry));
  if (entry.event === 'rate_limit.exceeded') {
    rateLimitRejections.inc({ limit: labelFrom(entry.detail, 'limit') });
  }
  if (entry.event === 'budget.exceeded') {
    budgetRejections.inc({ budget: labelFrom(entry.detail, 'budget') });
  }
}

function decisionLabels(entry: AuditEntry): { action: string; outcome: string } {
  const action = entry.event.startsWith('tool.') ? `tool:${entry.tool}` : `skill:${entry.skill}`;
  const outcome = entry.decision ?? (entry.event.endsWith('.allowed') ? 'allow' : 'deny');

  return { action, outcome };
}

function labelFrom(detail: Readonly<Record<string, unknown>> | undefined, key: string): string {
  const value = detail?.[key];
  return typeof value === 'string' ? value : 'default';
}
