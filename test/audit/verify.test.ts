import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashEntry } from '../../src/audit/chain.js';
import { loadVerificationKey } from '../../src/audit/checkpoint-key.js';
import type { AuditEntry } from '../../src/audit/entry.js';
import { listChainFiles } from '../../src/audit/files.js';
import { verifyAuditFiles } from '../../src/audit/verify.js';
import type { ResolvedAuditConfig } from '../../src/audit/config.js';
import { auditConfigIn, linesOf, openTrail, recordMany, tempDir, writeLines } from './support.js';

let dir: string;
let remove: () => void;
let config: ResolvedAuditConfig;
let lines: string[];

beforeEach(async () => {
  ({ dir, remove } = tempDir());
  config = auditConfigIn(dir, {
    fsync: false,
    checkpoints: { keyFile: 'checkpoint-key.json', generateIfMissing: true, everyEntries: 5 },
  });
  const trail = await openTrail(config);
  await recordMany(trail, 10);
  await trail.close();
  lines = linesOf(config.file);
});

afterEach(() => remove());

const verify = (files = [config.file], checkpoints = false) =>
  verifyAuditFiles({
    files,
    checkpoints: checkpoints
      ? {
          file: config.checkpoints.file,
          key: loadVerificationKey(config.checkpoints.keyFile ?? ''),
        }
      : undefined,
  });

const parse = (line: string) => JSON.parse(line) as AuditEntry;

/** Recomputes prev and hash from line `from` (0-based) on, as a careful forger would. */
function reseal(all: string[], from: number): string[] {
  const out = all.slice(0, from);
  let prev = from > 0 ? parse(all[from - 1] ?? '').hash : '0'.repeat(64);
  for (const line of all.slice(from)) {
    const { hash: _old, ...rest } = { ...parse(line), prev };
    const hash = hashEntry(rest);
    out.push(JSON.stringify({ ...rest, hash }));
    prev = hash;
  }
  return out;
}

function edit(line: string, change: Partial<AuditEntry>): string {
  return JSON.stringify({ ...parse(line), ...change });
}

describe('warden audit verify: the chain', () => {
  it('accepts an intact chain, with its checkpoints', async () => {
    const report = await verify([config.file], true);

    expect(report.problem).toBeUndefined();
    expect(report).toMatchObject({ entries: 10, first: { seq: 1 }, head: { seq: 10 } });
    expect(report.checkpoints?.matched).toBeGreaterThanOrEqual(2);
  });

  it.each([
    [
      'an edited line',
      () => lines.with(3, edit(lines[3] ?? '', { tool: 'issue-refund' })),
      4,
      'edited',
    ],
    [
      'an edited line given a fresh hash',
      () => lines.with(3, resealOne(3, { tool: 'issue-refund' })),
      4,
      'edited',
    ],
    ['a deleted line', () => lines.toSpliced(3, 1), 4, 'deleted'],
    ['a line of garbage inserted', () => lines.toSpliced(4, 0, '{"seq":5}'), 5, 'inserted'],
    [
      'a forged line inserted with a valid hash',
      () => lines.toSpliced(4, 0, forged(4)),
      5,
      'inserted',
    ],
    [
      'a copy of an earlier line inserted',
      () => lines.toSpliced(6, 0, lines[1] ?? ''),
      7,
      'inserted',
    ],
    [
      'two lines swapped',
      () => lines.with(3, lines[4] ?? '').with(4, lines[3] ?? ''),
      4,
      'reordered',
    ],
  ])('names the first bad line of a chain with %s', async (_what, tamper, line, kind) => {
    writeLines(config.file, tamper());

    const { problem } = await verify();
    expect(problem).toMatchObject({ file: config.file, line, kind });
  });

  it('sees a tail cut off after the last checkpoint only with the checkpoints', async () => {
    writeLines(config.file, lines.slice(0, 7));

    expect((await verify()).problem).toBeUndefined();
    const { problem } = await verify([config.file], true);
    expect(problem).toMatchObject({ line: 8, kind: 'truncated' });
    expect(problem?.message).toContain('the chain ends at seq 7');
  });

  it('sees a chain rewritten with fresh hashes from some line on only with the checkpoints', async () => {
    const rewritten = reseal(lines.with(2, edit(lines[2] ?? '', { tool: 'issue-refund' })), 2);
    writeLines(config.file, rewritten);

    expect((await verify()).problem).toBeUndefined();
    const { problem } = await verify([config.file], true);
    expect(problem).toMatchObject({ line: 5, kind: 'edited' });
    expect(problem?.message).toContain('rewritten at or before this line');
  });

  it('refuses a checkpoint whose signature does not verify', async () => {
    const [first] = linesOf(config.checkpoints.file);
    const [header, payload] = (first ?? '').split('.');
    writeFileSync(config.checkpoints.file, `${header}.${payload}.AAAA\n`);

    const { problem } = await verify([config.file], true);
    expect(problem).toMatchObject({ file: config.checkpoints.file, line: 1, kind: 'edited' });
  });

  it('reports a torn last line without calling the chain broken', async () => {
    appendFileSync(config.file, '{"seq":11,"time":"2025-');

    const report = await verify();
    expect(report.problem).toBeUndefined();
    expect(report.torn).toEqual({ file: config.file, line: 11 });
  });

  it('calls a file that is not an audit file malformed at line 1', async () => {
    const garbage = path.join(dir, 'garbage.jsonl');
    writeFileSync(garbage, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0a, 0x00, 0x0a]));

    expect((await verify([garbage])).problem).toMatchObject({ line: 1, kind: 'malformed' });
  });

  it('throws ERR_AUDIT_FILE naming a missing file', async () => {
    const missing = path.join(dir, 'missing.jsonl');

    await expect(verify([missing])).rejects.toMatchObject({
      code: 'ERR_AUDIT_FILE',
      message: `cannot read audit file ${missing}: no such file`,
    });
  });
});

describe('warden audit verify: across rotated files', () => {
  it('follows the chain over rotations, and sees a rotated file left out', async () => {
    const rotating = auditConfigIn(dir, { fsync: false, rotateBytes: 1, file: 'rot/audit.jsonl' });
    const trail = await openTrail(rotating);
    await recordMany(trail, 4);
    await trail.close();
    const files = listChainFiles(rotating.file);

    expect(files).toHaveLength(5); // four rotated files of one entry each, then the empty active one
    expect((await verify(files)).problem).toBeUndefined();
    expect((await verify(files.toSpliced(1, 1))).problem).toMatchObject({
      file: files[2],
      line: 1,
      kind: 'deleted',
    });
  });
});

function resealOne(index: number, change: Partial<AuditEntry>): string {
  const { hash: _old, ...rest } = { ...parse(lines[index] ?? ''), ...change };
  return JSON.stringify({ ...rest, hash: hashEntry(rest) });
}

function forged(after: number): string {
  const previous = parse(lines[after - 1] ?? '');
  const body = {
    ...parse(lines[after] ?? ''),
    seq: previous.seq + 1,
    prev: previous.hash,
    tool: 'x',
  };
  const { hash: _old, ...rest } = body;
  return JSON.stringify({ ...rest, hash: hashEntry(rest) });
}
