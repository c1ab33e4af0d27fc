import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { compactVerify } from 'jose';
import winston from 'winston';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadVerificationKey } from '../../src/audit/checkpoint-key.js';
import { listChainFiles } from '../../src/audit/files.js';
import type { AuditSink } from '../../src/audit/sink.js';
import { verifyAuditFiles } from '../../src/audit/verify.js';
import { runWithRequestId } from '../../src/log/request-context.js';
import {
  alice,
  auditConfigIn,
  captureLogger,
  entriesOf,
  linesOf,
  openTrail,
  recordMany,
  tempDir,
  writeLines,
} from './support.js';

const CHAINED = { durable: false } as const;

let dir: string;
let remove: () => void;

beforeEach(() => ({ dir, remove } = tempDir()));
afterEach(() => remove());

/** Counts the sink calls, and can hold back `sync` or fail `write`. */
function instrument(
  counts: { writes: number; syncs: number },
  fault?: { failWrites?: boolean; holdSync?: Promise<void> },
) {
  return (sink: AuditSink): AuditSink => ({
    write: async (data) => {
      counts.writes += 1;
      if (fault?.failWrites)
        throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
      return sink.write(data);
    },
    sync: async () => {
      counts.syncs += 1;
      await fault?.holdSync;
      return sink.sync();
    },
    close: () => sink.close(),
    get size() {
      return sink.size;
    },
  });
}

describe('the audit trail', () => {
  it('writes one line per event: time with milliseconds, request id, who, never the token', async () => {
    const trail = await openTrail(auditConfigIn(dir));
    await runWithRequestId('req-1', () =>
      trail.record({
        event: 'tool.completed',
        principal: alice,
        taskId: 't-1',
        tool: 'list-orders',
      }),
    );
    await trail.close();

    const [entry] = entriesOf(auditConfigIn(dir).file);
    expect(entry).toMatchObject({
      seq: 1,
      event: 'tool.completed',
      requestId: 'req-1',
      taskId: 't-1',
      issuer: 'https://idp.example',
      agent: 'peer-agent-a',
      user: 'alice',
      actors: ['peer-agent-a'],
      tokenId: 'jti-1',
      tool: 'list-orders',
      prev: '0'.repeat(64),
    });
    expect(entry?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Object.keys(entry ?? {})).not.toContain('scopes');
  });

  it('continues the chain from the last line of the file at start', async () => {
    const config = auditConfigIn(dir);
    const first = await openTrail(config);
    await recordMany(first, 3);
    await first.close();

    const second = await openTrail(config);
    await recordMany(second, 2);
    await second.close();

    expect(entriesOf(config.file).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await verifyAuditFiles({ files: [config.file] })).problem).toBeUndefined();
  });

  it('commits concurrent entries together: one write and one fdatasync per batch', async () => {
    const counts = { writes: 0, syncs: 0 };
    const trail = await openTrail(auditConfigIn(dir), { wrapSink: instrument(counts) });

    await Promise.all(Array.from({ length: 200 }, () => recordMany(trail, 1)));
    await trail.close();

    expect(counts.syncs).toBeLessThanOrEqual(2);
    expect(counts.writes).toBe(counts.syncs);
    expect(linesOf(auditConfigIn(dir).file)).toHaveLength(200);
  });

  it('resolves record only once the batch is synced', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const counts = { writes: 0, syncs: 0 };
    const trail = await openTrail(auditConfigIn(dir), {
      wrapSink: instrument(counts, { holdSync: held }),
    });

    let done = false;
    const recorded = recordMany(trail, 1).then(() => (done = true));
    // Written, and the sync under way but held back: the record must still be pending.
    await expect.poll(() => counts.syncs).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(counts.writes).toBe(1);
    expect(done).toBe(false);

    release();
    await recorded;
    expect(done).toBe(true);
    await trail.close();
  });

  it('chains an entry recorded with durable: false at once, and a durable one syncs both', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const counts = { writes: 0, syncs: 0 };
    const trail = await openTrail(auditConfigIn(dir), {
      wrapSink: instrument(counts, { holdSync: held }),
    });

    // Resolves while the sync is held: its place in the chain is all it waits for.
    await trail.record({ event: 'task.created', principal: alice, taskId: 't-1' }, CHAINED);
    let durable = false;
    const final = trail
      .record({ event: 'task.state_changed', principal: alice, taskId: 't-1', outcome: 'done' })
      .then(() => (durable = true));
    await expect.poll(() => counts.syncs).toBeGreaterThan(0);
    expect(durable).toBe(false);

    release();
    await final;
    expect(entriesOf(auditConfigIn(dir).file).map((e) => [e.seq, e.event])).toEqual([
      [1, 'task.created'],
      [2, 'task.state_changed'],
    ]);
    await trail.close();
  });

  it('fails closed after a chained entry cannot be written: the next durable record rejects', async () => {
    const fault = { failWrites: true };
    const trail = await openTrail(auditConfigIn(dir), {
      logger: captureLogger().logger,
      wrapSink: instrument({ writes: 0, syncs: 0 }, fault),
    });

    await trail.record({ event: 'task.created', principal: alice, taskId: 't-2' }, CHAINED);
    await expect(recordMany(trail, 1)).rejects.toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE' });
    expect(trail.isAvailable()).toBe(false);
    await trail.close();
  });

  it('sets a torn last line aside at start, reports its line number, and carries on', async () => {
    const config = auditConfigIn(dir);
    const trail = await openTrail(config);
    await recordMany(trail, 3);
    await trail.close();
    appendFileSync(config.file, '{"seq":4,"time":"20');

    const { logger, lines } = captureLogger();
    const reopened = await openTrail(config, { logger });
    await recordMany(reopened, 1);
    await reopened.close();

    expect(lines().find((l) => l['code'] === 'WARDEN_AUDIT_TORN_TAIL')).toMatchObject({
      level: 'warn',
      file: config.file,
      line: 4,
      bytes: 19,
    });
    const saved = readdirSync(dir).find((name) => name.startsWith('audit.jsonl.torn-')) ?? '';
    expect(readFileSync(path.join(dir, saved), 'utf8')).toBe('{"seq":4,"time":"20');
    expect(entriesOf(config.file).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect((await verifyAuditFiles({ files: [config.file] })).problem).toBeUndefined();
  });

  it('refuses a broken chain with its line number, and starts a new file once it is moved aside', async () => {
    const config = auditConfigIn(dir);
    const trail = await openTrail(config);
    await recordMany(trail, 3);
    await trail.close();
    const lines = linesOf(config.file);
    writeLines(
      config.file,
      lines.with(1, (lines[1] ?? '').replace('"list-orders"', '"issue-refund"')),
    );

    await expect(openTrail(config)).rejects.toMatchObject({ code: 'ERR_AUDIT_CORRUPT' });
    await expect(openTrail(config)).rejects.toThrow(
      `audit file ${config.file}:2: edited: its content does not match its hash`,
    );

    renameSync(config.file, `${config.file}.broken`);
    const fresh = await openTrail(config);
    await recordMany(fresh, 1);
    await fresh.close();
    expect(entriesOf(config.file)[0]).toMatchObject({ seq: 1, prev: '0'.repeat(64) });
  });

  it('keeps the chain across rotated files, also across a restart and a crash mid-rotation', async () => {
    const config = auditConfigIn(dir, { rotateBytes: 1200 });
    for (const count of [10, 2]) {
      const trail = await openTrail(config);
      await recordMany(trail, count);
      await trail.close();
    }
    const everyEntry = auditConfigIn(dir, { rotateBytes: 1 });
    const rotating = await openTrail(everyEntry);
    await recordMany(rotating, 1);
    await rotating.close();
    rmSync(config.file); // as if killed between the rename and creating the next file

    const last = await openTrail(config);
    await recordMany(last, 1);
    await last.close();

    const files = listChainFiles(config.file);
    expect(files.length).toBeGreaterThan(3);
    const report = await verifyAuditFiles({ files });
    expect(report).toMatchObject({
      problem: undefined,
      entries: 14,
      first: { seq: 1 },
      head: { seq: 14 },
    });
  });

  it('lets only one process append to a file, and takes over the lock of a dead one', async () => {
    const config = auditConfigIn(dir);
    const trail = await openTrail(config);
    await expect(openTrail(config)).rejects.toMatchObject({ code: 'ERR_AUDIT_LOCKED' });
    await trail.close();

    const dead = spawnSync(process.execPath, ['-e', '']).pid ?? 0;
    writeFileSync(`${config.file}.lock`, `${dead}\n`);
    const next = await openTrail(config);
    await next.close();
  });

  it('fails closed once a write fails: record rejects, and so does every later one', async () => {
    const fault = { failWrites: false };
    const { logger, lines } = captureLogger();
    const trail = await openTrail(auditConfigIn(dir), {
      logger,
      wrapSink: instrument({ writes: 0, syncs: 0 }, fault),
    });
    await recordMany(trail, 1);

    fault.failWrites = true;
    await expect(recordMany(trail, 1)).rejects.toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE' });
    expect(trail.isAvailable()).toBe(false);
    fault.failWrites = false;
    await expect(recordMany(trail, 1)).rejects.toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE' });
    expect(lines().find((l) => l['code'] === 'WARDEN_AUDIT_UNAVAILABLE')).toMatchObject({
      level: 'error',
      message: 'audit write failed: refusing every action (503) until Warden is restarted',
    });
    await trail.close();
  });

  it('signs checkpoints of the durable head at the configured interval', async () => {
    const config = auditConfigIn(dir, {
      checkpoints: { keyFile: 'key.json', generateIfMissing: true, intervalMs: 100 },
    });
    const trail = await openTrail(config);
    await recordMany(trail, 3);
    const key = loadVerificationKey(config.checkpoints.keyFile ?? '');
    const lastCheckpoint = async () => {
      const jws = existsSync(config.checkpoints.file)
        ? linesOf(config.checkpoints.file).at(-1)
        : '';
      if (!jws) return undefined;
      const { payload } = await compactVerify(jws, key);
      return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    };

    await expect.poll(lastCheckpoint).toMatchObject({
      seq: 3,
      head: trail.head().hash,
      file: 'audit.jsonl',
    });
    await trail.close();
    expect(readFileSync(config.checkpoints.keyFile ?? '', 'utf8')).toContain('"crv": "Ed25519"');
  });

  it('sends each durable entry to the winston transports of the audit stream', async () => {
    const stream = new PassThrough();
    const received: string[] = [];
    stream.on('data', (chunk: Buffer) => received.push(chunk.toString('utf8')));
    const transports = [new winston.transports.Stream({ stream })];

    const trail = await openTrail(auditConfigIn(dir), { transports });
    await recordMany(trail, 2);
    await trail.close();

    const shipped = received
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(shipped).toHaveLength(2);
    expect(shipped[1]).toMatchObject({ stream: 'audit', message: 'tool.completed', seq: 2 });
  });
});

describe('sealing an entry', () => {
  it('writes a lone UTF-16 surrogate (which RFC 8785 refuses) as U+FFFD instead of failing', async () => {
    const config = auditConfigIn(dir);
    const trail = await openTrail(config);
    await trail.record({
      event: 'tool.completed',
      tool: 'list-orders',
      parameters: { q: 'x\ud800y' },
    });
    await trail.close();

    expect(entriesOf(config.file)[0]?.parameters).toEqual({ q: 'x\ufffdy' });
    expect((await verifyAuditFiles({ files: [config.file] })).problem).toBeUndefined();
  });
});
