import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { WardenError } from '../errors.js';
import type { AuditEntry } from '../audit/entry.js';
import { createEntryFilter, type EntryFilterOptions } from '../audit/filter.js';
import { COLORS, formatEntry, PLAIN, type Palette } from '../audit/format.js';
import { readLines } from '../audit/reader.js';
import { auditConfigOf, type Output } from './audit-config.js';

/** `warden audit tail` arguments. */
export interface TailCommandOptions extends EntryFilterOptions {
  readonly file?: string | undefined;
  readonly config?: string | undefined;
  /** How many of the last matching entries to show first. */
  readonly lines: number;
  readonly follow: boolean;
  readonly json: boolean;
  /** Colour the one-line view (the CLI decides: a TTY without `NO_COLOR`). */
  readonly color: boolean;
  /** Stops `--follow` (tests); the CLI runs until interrupted. */
  readonly signal?: AbortSignal | undefined;
  readonly pollMs?: number | undefined;
}

/**
 * `warden audit tail`: the last matching entries, one per line (`--json`: the lines as written),
 * then with `--follow` every new one as it is appended, across rotations.
 */
export async function runAuditTail(options: TailCommandOptions, out: Output): Promise<void> {
  if (!Number.isSafeInteger(options.lines) || options.lines < 0) {
    throw new WardenError('ERR_AUDIT_USAGE', '--lines must be a whole number');
  }
  const file = options.file ?? auditConfigOf(options.config, 'audit file').file;
  const matches = createEntryFilter(options);
  const show = printer(options, out);

  const last: string[] = [];
  let offset = 0;
  for await (const line of readLines(file)) {
    if (!line.complete) break;
    offset = line.end;
    if (!isMatch(line.text, matches)) continue;
    last.push(line.text);
    if (last.length > options.lines) last.shift();
  }
  last.forEach(show);

  if (options.follow)
    await follow(file, offset, (text) => isMatch(text, matches) && show(text), options);
}

function printer(options: TailCommandOptions, out: Output): (text: string) => void {
  const palette: Palette = options.color ? COLORS : PLAIN;
  return (text) =>
    out(`${options.json ? text : formatEntry(JSON.parse(text) as AuditEntry, palette)}\n`);
}

function isMatch(text: string, matches: (entry: AuditEntry) => boolean): boolean {
  try {
    return matches(JSON.parse(text) as AuditEntry);
  } catch {
    return false;
  }
}

// Polls rather than watches: fs.watch misses appends on some file systems (NFS, some containers).
// A file that shrank or changed inode was rotated: read the new one from its start.
async function follow(
  file: string,
  from: number,
  onLine: (text: string) => unknown,
  options: TailCommandOptions,
): Promise<void> {
  let offset = from;
  let inode = await inodeOf(file);

  while (!options.signal?.aborted) {
    await sleep(options.pollMs ?? 250, undefined, { signal: options.signal }).catch(
      () => undefined,
    );
    const current = await inodeOf(file);
    if (current === undefined) continue;
    if (current.ino !== inode?.ino || current.size < offset) offset = 0;
    inode = current;

    for await (const line of readLines(file, offset)) {
      if (!line.complete) break;
      offset = line.end;
      onLine(line.text);
    }
  }
}

async function inodeOf(file: string): Promise<{ ino: number; size: number } | undefined> {
  try {
    const info = await stat(file);
    return { ino: info.ino, size: info.size };
  } catch {
    return undefined;
  }
}
