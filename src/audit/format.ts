import type { AuditEntry } from './entry.js';

/** ANSI styles, or none. */
export interface Palette {
  dim(text: string): string;
  event(name: string, text: string): string;
}

const ansi = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
const [red, green, yellow, cyan, dim] = [31, 32, 33, 36, 2].map(ansi) as [
  (t: string) => string,
  (t: string) => string,
  (t: string) => string,
  (t: string) => string,
  (t: string) => string,
];

/** Colours for a terminal: refusals red, holds yellow, permissions green, lifecycle cyan. */
export const COLORS: Palette = {
  dim,
  event(name, text) {
    if (/\.(denied|rejected|failed|exceeded|expired)$/.test(name)) return red(text);
    if (/\.(held|requested)$/.test(name)) return yellow(text);
    if (/\.(allowed|granted|completed)$/.test(name)) return green(text);
    return cyan(text);
  },
};

/** No colours (not a terminal, or `NO_COLOR`). */
export const PLAIN: Palette = { dim: (t) => t, event: (_n, t) => t };

/**
 * One entry on one line, for people: time, sequence number, event, who (agent for user, via
 * actors), then what is known of task, skill, tool, decision and outcome.
 *
 * @example
 * 2025-06-01T10:00:00.123Z #42 tool.denied         peer-agent-a for bob  task=1f2e3d4c
 *   tool=issue-refund decision=deny policies=forbid-large-refunds 3.2ms   (on one line)
 */
export function formatEntry(entry: AuditEntry, palette: Palette): string {
  const fields = [
    palette.dim(`${entry.time} #${entry.seq}`),
    palette.event(entry.event, entry.event.padEnd(19)),
    whoOf(entry),
    entry.taskId && `task=${entry.taskId.slice(0, 8)}`,
    entry.skill && `skill=${entry.skill}`,
    entry.tool && `tool=${entry.tool}`,
    entry.decision && `decision=${entry.decision}`,
    entry.policies && entry.policies.length > 0 && `policies=${entry.policies.join(',')}`,
    entry.approver && `approver=${entry.approver}`,
    entry.approvalId && `approval=${entry.approvalId}`,
    entry.outcome && `outcome=${entry.outcome}`,
    entry.durationMs !== undefined && `${entry.durationMs}ms`,
  ];
  return fields
    .filter((field): field is string => typeof field === 'string' && field !== '')
    .join(' ');
}

/** `agent for user via actor,actor`, or `-` when the event names no one. */
export function whoOf(entry: AuditEntry): string {
  if (entry.agent === undefined) return '-';

  const user = entry.user === undefined ? '' : ` for ${entry.user}`;
  const actors = entry.actors && entry.actors.length > 0 ? ` via ${entry.actors.join(',')}` : '';
  return `${entry.agent}${user}${actors}`;
}

/** Why an entry came out as it did, in words: policies, approver, counters. */
export function explainEntry(entry: AuditEntry): string {
  const policies =
    entry.policies && entry.policies.length > 0 ? entry.policies.join(', ') : undefined;
  const set = entry.policySetHash ? ` (policy set ${entry.policySetHash.slice(0, 12)})` : '';
  const detail = describeDetail(entry.detail);

  switch (entry.event) {
    case 'task.created':
      return `created${entry.skill ? ` for skill ${entry.skill}` : ''} by ${whoOf(entry)}`;
    case 'task.state_changed':
      return `${String(entry.detail?.['from'])} -> ${String(entry.detail?.['to'])}`;
    case 'scope.denied':
      return `the token lacks a required scope: ${detail}`;
    case 'skill.allowed':
    case 'tool.allowed':
      return `allowed by ${policies ?? 'policy (no determining policy recorded)'}${set}`;
    case 'skill.denied':
    case 'tool.denied':
      return `${policies ? `denied by ${policies}` : 'denied: no policy permits it'}${set}`;
    case 'tool.held':
      return `held for approval ${entry.approvalId ?? '?'}: ${heldBy(policies)}${set}`;
    case 'approval.granted':
    case 'approval.denied':
      return approvalDecision(entry);
    case 'tool.completed':
      return `ran in ${entry.durationMs ?? '?'} ms`;
    case 'tool.failed':
      return `failed with ${entry.outcome ?? 'an error'} after ${entry.durationMs ?? '?'} ms`;
    default:
      return [entry.outcome, detail].filter(Boolean).join(': ') || entry.event;
  }
}

function heldBy(policies: string | undefined): string {
  return `permitted by ${policies ?? 'policy'} only once approved`;
}

function approvalDecision(entry: AuditEntry): string {
  const verb = entry.event === 'approval.granted' ? 'approved' : 'refused';
  return `${verb} by ${entry.approver ?? 'unknown'} (approval ${entry.approvalId ?? '?'})`;
}

function describeDetail(detail: AuditEntry['detail']): string {
  if (detail === undefined) return '';
  return Object.entries(detail)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}
