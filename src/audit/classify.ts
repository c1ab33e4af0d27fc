import type { ChainProblem, LineRef, ProblemKind } from './chain-check.js';

/** A line as the chain sees it: its place and links. `at` is absent for a given start head. */
export interface Linked {
  readonly seq: number;
  readonly hash: string;
  readonly prev: string | undefined;
  /** Its hash matches its content. */
  readonly valid: boolean;
  readonly at: LineRef | undefined;
}

/** The first line that does not fit, with what surrounds it. */
export interface Break {
  /** The line; `undefined` when it is not an audit entry at all. */
  readonly line: Linked | undefined;
  readonly at: LineRef;
  /** The last line that fitted (or the start head). */
  readonly previous: Linked | undefined;
  /** The line after, when there is one and it is an entry. */
  readonly following: Linked | undefined;
  /** Sequence numbers of every line after the break. */
  readonly laterSeqs: ReadonlySet<number>;
}

/**
 * Says what most likely happened at a break, and names the first bad line. A chain only shows
 * that lines no longer fit; the neighbours tell which story fits: the lines around a bad one still
 * linking to each other means it was inserted, a later line holding the missing number means
 * reordered rather than deleted, and a line that fits its successor but not its predecessor means
 * the predecessor was rewritten with a fresh hash.
 */
export function classifyBreak(b: Break): ChainProblem {
  const { line, previous: p, following: n } = b;
  const aroundLink = linksTo(n, p);

  if (line === undefined) {
    return aroundLink
      ? problem(b.at, 'inserted', 'not an audit entry, and the lines around it link to each other')
      : problem(b.at, 'malformed', 'not an audit entry (JSON with "seq", "prev" and "hash")');
  }
  if (!line.valid) {
    return aroundLink
      ? problem(
          b.at,
          'inserted',
          'its content does not match its hash, and the lines around it link to each other',
        )
      : problem(b.at, 'edited', 'its content does not match its hash');
  }
  if (p === undefined)
    return problem(b.at, 'edited', `holds seq ${line.seq} right after the genesis hash`);
  if (p.at === undefined) return startBreak(b.at, line, p);

  return classifyValidBreak(b, line, p, aroundLink);
}

function classifyValidBreak(b: Break, line: Linked, p: Linked, aroundLink: boolean): ChainProblem {
  const expected = p.seq + 1;

  if (line.seq === expected) {
    return b.following?.valid && b.following.prev === line.hash && p.at
      ? problem(p.at, 'edited', 'was rewritten: its hash is not the one the next line records')
      : problem(b.at, 'edited', 'its "prev" is not the hash of the line before it');
  }
  if (line.prev === p.prev && p.at) {
    return problem(p.at, 'inserted', 'not part of the chain: the next line links past it');
  }
  if (line.seq > expected) {
    return b.laterSeqs.has(expected)
      ? problem(b.at, 'reordered', `holds seq ${line.seq}, before seq ${expected} (further down)`)
      : problem(b.at, 'deleted', `${range(expected, line.seq - 1)} missing before this line`);
  }
  return aroundLink
    ? problem(b.at, 'inserted', `repeats seq ${line.seq}; the lines around it link to each other`)
    : problem(b.at, 'reordered', `holds seq ${line.seq}, after seq ${p.seq}`);
}

// The first line of a file verified as the continuation of a known head (the previous file).
function startBreak(at: LineRef, line: Linked, start: Linked): ChainProblem {
  if (line.seq > start.seq + 1 && line.prev !== start.hash) {
    return problem(at, 'deleted', `${range(start.seq + 1, line.seq - 1)} missing before this line`);
  }
  return problem(
    at,
    'edited',
    `does not continue the chain of the file before it (seq ${start.seq})`,
  );
}

function linksTo(line: Linked | undefined, before: Linked | undefined): boolean {
  if (line === undefined || before === undefined || !line.valid) return false;
  return line.prev === before.hash && line.seq === before.seq + 1;
}

function range(from: number, to: number): string {
  return from === to ? `seq ${from} is` : `seq ${from}..${to} are`;
}

function problem(at: LineRef, kind: ProblemKind, what: string): ChainProblem {
  return { ...at, kind, message: what };
}
