import { GENESIS_HASH, hashEntry, type ChainHead } from './chain.js';
import type { AuditEntry } from './entry.js';
import { classifyBreak, type Linked } from './classify.js';

/** How a chain was broken; see docs/audit.md for what each means. */
export type ProblemKind =
  'edited' | 'deleted' | 'inserted' | 'reordered' | 'truncated' | 'malformed';

/** Where a line is. */
export interface LineRef {
  readonly file: string;
  readonly line: number;
}

/** The first bad line found. */
export interface ChainProblem extends LineRef {
  readonly kind: ProblemKind;
  readonly message: string;
}

/** What {@link ChainChecker} found. */
export interface ChainCheckResult {
  readonly entries: number;
  /** The first entry's place; `undefined` for an empty chain. */
  readonly first: (ChainHead & LineRef) | undefined;
  /** The last entry checked before any problem. */
  readonly head: (ChainHead & LineRef) | undefined;
  readonly problem: ChainProblem | undefined;
  /** Hash and place of the entries at the sequence numbers asked for (checkpoints). */
  readonly marks: ReadonlyMap<number, ChainHead & LineRef>;
}

/**
 * Checks a chain line by line: each line parses, its hash matches its content, its `prev` is the
 * previous line's hash and its `seq` the next number. At the first break it keeps reading to tell
 * what happened (a later line with the missing number means reordered, not deleted), then stops
 * judging. Memory stays small: one number per line after a break.
 */
export class ChainChecker {
  private count = 0;
  private first: (ChainHead & LineRef) | undefined;
  private previous: Linked | undefined;
  private suspect:
    { line: Linked | undefined; at: LineRef; previous: Linked | undefined } | undefined;
  private following: Linked | null | undefined;
  private readonly laterSeqs = new Set<number>();
  private readonly marks = new Map<number, ChainHead & LineRef>();

  /**
   * @param start the head this chain must continue; `undefined` accepts the first line's `prev`
   *   as given (a rotated file verified without its predecessors).
   * @param wanted sequence numbers whose hash to keep (for checkpoints).
   */
  constructor(
    private readonly start: ChainHead | undefined,
    private readonly wanted: ReadonlySet<number> = new Set(),
  ) {
    if (start !== undefined)
      this.previous = { ...start, prev: undefined, valid: true, at: undefined };
  }

  /** Feeds the next complete line. */
  add(text: string, at: LineRef): void {
    const line = parseLine(text, at);
    if (this.suspect !== undefined) return this.afterBreak(line);

    if (line === undefined || !line.valid || !this.links(line)) {
      this.suspect = { line, at, previous: this.previous };
      return;
    }
    this.accept(line);
  }

  result(): ChainCheckResult {
    const head = this.previous?.at && {
      seq: this.previous.seq,
      hash: this.previous.hash,
      ...this.previous.at,
    };
    const problem =
      this.suspect &&
      classifyBreak({
        ...this.suspect,
        following: this.following ?? undefined,
        laterSeqs: this.laterSeqs,
      });

    return { entries: this.count, first: this.first, head, problem, marks: this.marks };
  }

  private links(line: Linked): boolean {
    const previous = this.previous;
    // A first line with nothing before it: a chain starts at seq 1 after the genesis hash, or
    // (no start given) wherever the file starts.
    if (previous === undefined)
      return line.seq >= 1 && (line.prev !== GENESIS_HASH || line.seq === 1);

    return line.prev === previous.hash && line.seq === previous.seq + 1;
  }

  private accept(line: Linked & { at: LineRef }): void {
    this.count += 1;
    this.first ??= { seq: line.seq, hash: line.hash, ...line.at };
    if (this.wanted.has(line.seq))
      this.marks.set(line.seq, { seq: line.seq, hash: line.hash, ...line.at });
    this.previous = line;
  }

  private afterBreak(line: Linked | undefined): void {
    if (this.following === undefined) this.following = line ?? null;
    if (line !== undefined) this.laterSeqs.add(line.seq);
  }
}

/** A parsed line; `undefined` when it is not an audit entry at all. */
function parseLine(text: string, at: LineRef): (Linked & { at: LineRef }) | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isEntryShaped(value)) return undefined;

  return { seq: value.seq, hash: value.hash, prev: value.prev, valid: hashMatches(value), at };
}

// An edited line may hold what JCS refuses (a lone surrogate): that is a mismatch, not a crash.
function hashMatches(entry: AuditEntry): boolean {
  try {
    return hashEntry(entry) === entry.hash;
  } catch {
    return false;
  }
}

function isEntryShaped(value: unknown): value is AuditEntry {
  if (typeof value !== 'object' || value === null) return false;

  const { seq, prev, hash } = value as Record<string, unknown>;
  return Number.isSafeInteger(seq) && isHash(prev) && isHash(hash);
}

function isHash(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}
