import type { KeyObject } from 'node:crypto';
import { CompactSign, compactVerify } from 'jose';
import { WardenError } from '../errors.js';
import type { ChainHead } from './chain.js';
import type { CheckpointKey } from './checkpoint-key.js';
import { readLines } from './reader.js';

/** The JWS `typ` of a checkpoint, so no other JWS signed with the key passes for one. */
export const CHECKPOINT_TYP = 'warden-audit-checkpoint+jws';

/** What a checkpoint asserts: at `time`, the chain's head was `seq` with hash `head`. */
export interface Checkpoint {
  readonly seq: number;
  readonly head: string;
  readonly time: string;
  /** The audit file holding `seq` when it was signed (before any later rotation). */
  readonly file: string;
  /** 1-based line in the checkpoint file. */
  readonly line: number;
}

/**
 * Signs a checkpoint over `head`: a compact JWS (EdDSA) whose payload is
 * `{"seq":N,"head":"<hex>","time":"<ISO>","file":"audit.jsonl"}`. One per line in the checkpoint
 * file, which operators SHOULD ship elsewhere: a checkpoint out of the attacker's reach is what
 * reveals a cut-off tail or a rewritten chain.
 */
export async function signCheckpoint(
  head: ChainHead,
  key: CheckpointKey,
  file: string,
  time: Date,
): Promise<string> {
  const payload = { seq: head.seq, head: head.hash, time: time.toISOString(), file };

  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: CHECKPOINT_TYP })
    .sign(key.privateKey);
}

/** The checkpoints of a file, and the first one that failed verification, if any. */
export interface CheckpointRead {
  readonly checkpoints: readonly Checkpoint[];
  readonly bad: { line: number; reason: string } | undefined;
  /** A last line cut short by a crash (never acknowledged, so not counted). */
  readonly tornLine: number | undefined;
}

/** Reads and verifies every checkpoint in `file` with `publicKey`; stops at the first bad one. */
export async function readCheckpoints(file: string, publicKey: KeyObject): Promise<CheckpointRead> {
  const checkpoints: Checkpoint[] = [];

  for await (const line of readLines(file)) {
    if (!line.complete) return { checkpoints, bad: undefined, tornLine: line.number };

    const checkpoint = await verifyCheckpoint(line.text, line.number, publicKey);
    if (typeof checkpoint === 'string') {
      return { checkpoints, bad: { line: line.number, reason: checkpoint }, tornLine: undefined };
    }
    checkpoints.push(checkpoint);
  }
  return { checkpoints, bad: undefined, tornLine: undefined };
}

/** A verified checkpoint, or why it is not one. */
async function verifyCheckpoint(
  jws: string,
  line: number,
  key: KeyObject,
): Promise<Checkpoint | string> {
  try {
    const { payload, protectedHeader } = await compactVerify(jws, key, { algorithms: ['EdDSA'] });
    if (protectedHeader.typ !== CHECKPOINT_TYP) return `"typ" is not ${CHECKPOINT_TYP}`;

    return { ...parsePayload(new TextDecoder().decode(payload)), line };
  } catch (error) {
    if (error instanceof WardenError) return error.message;
    return 'its signature does not verify with the given key';
  }
}

function parsePayload(text: string): Omit<Checkpoint, 'line'> {
  const value = JSON.parse(text) as Record<string, unknown>;
  const { seq, head, time, file } = value;
  if (
    !Number.isSafeInteger(seq) ||
    typeof head !== 'string' ||
    typeof time !== 'string' ||
    typeof file !== 'string'
  ) {
    throw new WardenError('ERR_AUDIT_CORRUPT', 'its payload lacks "seq", "head", "time" or "file"');
  }
  return { seq: seq as number, head, time, file };
}
