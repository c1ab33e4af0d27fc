import { existsSync } from 'node:fs';
import { WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { EMPTY_HEAD, hashEntry, type ChainHead } from './chain.js';
import { ChainChecker, type ChainProblem } from './chain-check.js';
import type { AuditEntry } from './entry.js';
import { listRotatedFiles } from './files.js';
import { readLines } from './reader.js';
import { readLastLine, setAsideTornTail } from './tail-bytes.js';

/** Where the chain stands on disk when Warden starts. */
export interface RecoveredChain {
  readonly head: ChainHead;
  /** Sequence number of the active file's first line; `undefined` when it is empty. */
  readonly firstSeq: number | undefined;
}

/**
 * Brings the audit file to a state Warden can append to, or refuses. A torn last line is set
 * aside and reported (`WARDEN_AUDIT_TORN_TAIL`, with its line number). Then the whole active file
 * is verified, its first line against the newest rotated file's last; a break throws
 * `ERR_AUDIT_CORRUPT` naming the line, because appending to a broken chain would make the break
 * look like Warden's own. Rotation bounds how much is read here (`audit.rotateBytes`).
 */
export async function recoverAuditFile(
  file: string,
  logger: Logger,
  now: Date,
): Promise<RecoveredChain> {
  const torn = await setAsideTornTail(file, now);
  const start = await headOfRotated(file);

  const checker = new ChainChecker(start);
  const lines = existsSync(file) ? readLines(file) : [];
  for await (const line of lines) checker.add(line.text, { file, line: line.number });
  const result = checker.result();
  if (result.problem) throw corruptChain(result.problem);

  if (torn) {
    logger.warn('audit file ended in a torn line (a write cut short by a crash); set it aside', {
      code: 'WARDEN_AUDIT_TORN_TAIL',
      file,
      line: result.entries + 1,
      bytes: torn.bytes,
      savedTo: torn.savedTo,
    });
  }
  return { head: result.head ?? start ?? EMPTY_HEAD, firstSeq: result.first?.seq };
}

/** The head of the newest rotated file, which the active file continues. */
async function headOfRotated(file: string): Promise<ChainHead | undefined> {
  const rotated = listRotatedFiles(file).at(-1);
  if (rotated === undefined) return undefined;

  const last = await readLastLine(rotated);
  const entry = last === undefined ? undefined : parseEntry(last);
  if (entry === undefined) {
    throw corruptChain({
      file: rotated,
      line: 0,
      kind: 'malformed',
      message: 'its last line is not a sealed audit entry, so the chain cannot continue from it',
    });
  }
  return { seq: entry.seq, hash: entry.hash };
}

function parseEntry(text: string): AuditEntry | undefined {
  try {
    const entry = JSON.parse(text) as AuditEntry;
    return hashEntry(entry) === entry.hash && Number.isSafeInteger(entry.seq) ? entry : undefined;
  } catch {
    return undefined;
  }
}

function corruptChain(problem: ChainProblem): WardenError {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}` : problem.file;
  return new WardenError(
    'ERR_AUDIT_CORRUPT',
    `audit file ${where}: ${problem.kind}: ${problem.message}. Warden does not append to a ` +
      'broken chain: keep the file as evidence, move it and its checkpoint file aside, and start ' +
      'again to begin a new file (docs/audit.md, "Starting a new file")',
  );
}
