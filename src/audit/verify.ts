import type { KeyObject } from 'node:crypto';
import type { ChainHead } from './chain.js';
import {
  ChainChecker,
  type ChainCheckResult,
  type ChainProblem,
  type LineRef,
} from './chain-check.js';
import { readCheckpoints, type Checkpoint } from './checkpoint.js';
import { readLines } from './reader.js';

/** What to verify. */
export interface VerifyOptions {
  /** The chain's files in order, oldest first; the first need not start the chain. */
  readonly files: readonly string[];
  /** A checkpoint file and the public key its checkpoints must verify with. */
  readonly checkpoints?: { readonly file: string; readonly key: KeyObject } | undefined;
}

/** What verification found. */
export interface VerifyReport {
  readonly entries: number;
  readonly first: (ChainHead & LineRef) | undefined;
  readonly head: (ChainHead & LineRef) | undefined;
  /** The first bad line; `undefined` when everything verified. */
  readonly problem: ChainProblem | undefined;
  /** A last line cut short by a crash: never acknowledged, so not a problem by itself. */
  readonly torn: LineRef | undefined;
  readonly checkpoints: CheckpointSummary | undefined;
}

/** How the checkpoints compared with the chain. */
export interface CheckpointSummary {
  /** Checkpoints whose head matched the chain at their seq. */
  readonly matched: number;
  /** Checkpoints for seqs before the first file given (not checkable here). */
  readonly earlier: number;
  readonly last: Checkpoint | undefined;
}

/**
 * Verifies audit files: every line's hash, the links and sequence numbers across the files, and
 * the signed checkpoints, which reveal what a chain alone cannot: a tail cut off after the last
 * checkpointed entry, or a chain rewritten from some line on with fresh hashes. Names the first
 * bad line and what most likely happened to it. Throws `ERR_AUDIT_FILE` for a file it cannot read.
 */
export async function verifyAuditFiles(options: VerifyOptions): Promise<VerifyReport> {
  const read =
    options.checkpoints &&
    (await readCheckpoints(options.checkpoints.file, options.checkpoints.key));
  const checkpoints = read?.checkpoints ?? [];
  const { result, torn } = await checkChain(options.files, new Set(checkpoints.map((c) => c.seq)));

  const badCheckpoint = read?.bad && {
    file: options.checkpoints?.file ?? '',
    line: read.bad.line,
    kind: 'edited' as const,
    message: `checkpoint ${read.bad.reason}`,
  };
  const compared = compareCheckpoints(checkpoints, result, torn);
  return {
    entries: result.entries,
    first: result.first,
    head: result.head,
    problem: badCheckpoint ?? compared.problem ?? result.problem,
    torn,
    checkpoints: read && {
      matched: compared.matched,
      earlier: compared.earlier,
      last: checkpoints.at(-1),
    },
  };
}

async function checkChain(
  files: readonly string[],
  wanted: ReadonlySet<number>,
): Promise<{ result: ChainCheckResult; torn: LineRef | undefined }> {
  const checker = new ChainChecker(undefined, wanted);
  let torn: LineRef | undefined;

  for (const [index, file] of files.entries()) {
    for await (const line of readLines(file)) {
      const isLast = index === files.length - 1;
      if (!line.complete && isLast) torn = { file, line: line.number };
      else checker.add(line.text, { file, line: line.number });
    }
  }
  return { result: checker.result(), torn };
}

function compareCheckpoints(
  checkpoints: readonly Checkpoint[],
  result: ChainCheckResult,
  torn: LineRef | undefined,
): { matched: number; earlier: number; problem: ChainProblem | undefined } {
  let matched = 0;
  let earlier = 0;

  for (const checkpoint of checkpoints) {
    const mark = result.marks.get(checkpoint.seq);
    if (mark !== undefined && mark.hash !== checkpoint.head) {
      return { matched, earlier, problem: rewritten(mark, checkpoint) };
    }
    if (mark !== undefined) matched += 1;
    else if (checkpoint.seq < (result.first?.seq ?? 0)) earlier += 1;
    else if (result.problem === undefined) {
      return { matched, earlier, problem: truncated(result, checkpoint, torn) };
    }
  }
  return { matched, earlier, problem: undefined };
}

function rewritten(mark: LineRef, checkpoint: Checkpoint): ChainProblem {
  return {
    ...mark,
    kind: 'edited',
    message:
      `its hash differs from the checkpoint signed ${checkpoint.time} (checkpoint line ` +
      `${checkpoint.line}): the chain was rewritten at or before this line`,
  };
}

function truncated(
  result: ChainCheckResult,
  checkpoint: Checkpoint,
  torn: LineRef | undefined,
): ChainProblem {
  const end = torn ?? (result.head && { file: result.head.file, line: result.head.line + 1 });
  return {
    file: end?.file ?? checkpoint.file,
    line: end?.line ?? 1,
    kind: 'truncated',
    message:
      `the chain ends at seq ${result.head?.seq ?? 0}, but the checkpoint signed ` +
      `${checkpoint.time} (checkpoint line ${checkpoint.line}) covers seq ${checkpoint.seq}: ` +
      'entries were cut off after the last line',
  };
}
