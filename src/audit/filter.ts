import { WardenError } from '../errors.js';
import type { AuditEntry } from './entry.js';

/** What `warden audit tail` selects; every given criterion must hold. */
export interface EntryFilterOptions {
  readonly agent?: string | undefined;
  readonly user?: string | undefined;
  /** `tool` matches `tool.denied`; `tool.denied` only that. */
  readonly event?: string | undefined;
  readonly decision?: string | undefined;
  readonly task?: string | undefined;
  /** ISO 8601, or a duration back from now: `90s`, `15m`, `2h`, `7d`. */
  readonly since?: string | undefined;
}

const UNITS_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DECISIONS = new Set(['allow', 'deny', 'hold']);

/**
 * Builds the predicate for `warden audit tail`'s filters. An unreadable `--since` or an unknown
 * `--decision` throws `ERR_AUDIT_USAGE` naming the option.
 */
export function createEntryFilter(
  options: EntryFilterOptions,
  now = new Date(),
): (entry: AuditEntry) => boolean {
  const since = options.since === undefined ? undefined : parseSince(options.since, now);
  if (options.decision !== undefined && !DECISIONS.has(options.decision)) {
    throw new WardenError('ERR_AUDIT_USAGE', '--decision must be allow, deny or hold');
  }
  const checks: ((entry: AuditEntry) => boolean)[] = [];

  if (options.agent !== undefined) checks.push((e) => e.agent === options.agent);
  if (options.user !== undefined) checks.push((e) => e.user === options.user);
  if (options.task !== undefined) checks.push((e) => e.taskId === options.task);
  if (options.decision !== undefined) checks.push((e) => e.decision === options.decision);
  if (options.event !== undefined) checks.push((e) => matchesEvent(e.event, options.event ?? ''));
  if (since !== undefined) checks.push((e) => Date.parse(e.time) >= since);
  return (entry) => checks.every((check) => check(entry));
}

function matchesEvent(event: string, prefix: string): boolean {
  return event === prefix || event.startsWith(prefix.endsWith('.') ? prefix : `${prefix}.`);
}

/** Milliseconds since the epoch for `--since`: an ISO 8601 time or a duration back from `now`. */
export function parseSince(text: string, now: Date): number {
  const duration = /^(\d+)([smhd])$/.exec(text);
  if (duration) return now.getTime() - Number(duration[1]) * (UNITS_MS[duration[2] ?? 's'] ?? 0);

  const time = Date.parse(text);
  if (Number.isNaN(time)) {
    throw new WardenError(
      'ERR_AUDIT_USAGE',
      `--since "${text}" is neither an ISO 8601 time nor a duration such as 15m, 2h or 7d`,
    );
  }
  return time;
}
