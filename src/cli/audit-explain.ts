import { existsSync } from 'node:fs';
import { WardenError } from '../errors.js';
import type { AuditEntry } from '../audit/entry.js';
import { listChainFiles } from '../audit/files.js';
import { COLORS, explainEntry, formatEntry, PLAIN, whoOf } from '../audit/format.js';
import { readLines } from '../audit/reader.js';
import { auditConfigOf, type Output } from './audit-config.js';

/** `warden audit explain` arguments. */
export interface ExplainCommandOptions {
  readonly taskId: string;
  readonly files: readonly string[];
  readonly config?: string | undefined;
  readonly json: boolean;
  readonly color: boolean;
}

/**
 * `warden audit explain TASK_ID`: the task's events in order, each followed by why it came out as
 * it did (determining policies, approver, budget counters). Events recorded in the same requests
 * before the task existed (a skill decision, a rate limit) are included.
 */
export async function runAuditExplain(options: ExplainCommandOptions, out: Output): Promise<void> {
  const files =
    options.files.length > 0
      ? options.files
      : listChainFiles(auditConfigOf(options.config, 'audit file').file).filter((f) =>
          existsSync(f),
        );
  const entries = await collectTaskEntries(files, options.taskId);
  if (entries.length === 0) {
    throw new WardenError(
      'ERR_AUDIT_USAGE',
      `no audit entries for task ${options.taskId} in ${files.join(', ')}`,
    );
  }

  if (options.json) return out(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
  const palette = options.color ? COLORS : PLAIN;
  out(`${headerOf(options.taskId, entries)}\n`);
  for (const entry of entries) {
    out(`${formatEntry(entry, palette)}\n    ${palette.dim('why:')} ${explainEntry(entry)}\n`);
  }
}

/**
 * The task's entries, then (a second pass, so a flood of task-less refusals is never held in
 * memory) the entries of the same requests that carry no task, all in chain order.
 */
async function collectTaskEntries(files: readonly string[], taskId: string): Promise<AuditEntry[]> {
  const own = await collect(files, (e) => e.taskId === taskId);
  const requests = new Set(own.map((e) => e.requestId).filter((id) => id !== undefined));
  const related = await collect(
    files,
    (e) => e.taskId === undefined && requests.has(e.requestId ?? ''),
  );

  return [...own, ...related].sort((a, b) => a.seq - b.seq);
}

async function collect(
  files: readonly string[],
  wanted: (entry: AuditEntry) => boolean,
): Promise<AuditEntry[]> {
  const found: AuditEntry[] = [];
  for (const file of files) {
    for await (const line of readLines(file)) {
      const entry = parse(line.text);
      if (entry && wanted(entry)) found.push(entry);
    }
  }
  return found;
}

function headerOf(taskId: string, entries: readonly AuditEntry[]): string {
  const created = entries.find((e) => e.event === 'task.created') ?? entries[0];
  const state = entries.filter((e) => e.event === 'task.state_changed').at(-1)?.outcome;
  const context = created?.contextId ? ` (context ${created.contextId})` : '';
  return (
    `task ${taskId}${context}: ${created ? whoOf(created) : '-'}, ` +
    `${entries.length} events${state ? `, last state ${state}` : ''}`
  );
}

function parse(text: string): AuditEntry | undefined {
  try {
    const value = JSON.parse(text) as AuditEntry;
    return typeof value === 'object' && value !== null && typeof value.event === 'string'
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}
