import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ResolvedAuditConfig } from '../../src/audit/config.js';
import type { AuditEventInput } from '../../src/audit/event.js';
import { runAuditExplain } from '../../src/cli/audit-explain.js';
import { runAuditTail } from '../../src/cli/audit-tail.js';
import { runAuditVerify } from '../../src/cli/audit-verify.js';
import { runWithRequestId } from '../../src/log/request-context.js';
import { REPO } from '../support/harness.js';
import { alice, auditConfigIn, linesOf, openTrail, tempDir, writeLines } from './support.js';

let dir: string;
let remove: () => void;
let config: ResolvedAuditConfig;
let configFile: string;

const bob = {
  ...alice,
  agent: 'peer-agent-b',
  user: 'bob',
  actors: [],
  delegationDepth: 0,
  tokenId: 'jti-2',
};

/** A held refund, approved, for alice; a denied one for bob; a rejected token. */
const story: [string, AuditEventInput][] = [
  [
    'r1',
    {
      event: 'task.created',
      principal: alice,
      taskId: 'task-a',
      skill: 'refunds',
      outcome: 'TASK_STATE_SUBMITTED',
    },
  ],
  [
    'r1',
    {
      event: 'tool.held',
      principal: alice,
      taskId: 'task-a',
      tool: 'issue-refund',
      decision: 'hold',
      policies: ['refunds-over-100'],
      approvalId: 'ap-1',
    },
  ],
  [
    'r2',
    { event: 'token.rejected', outcome: 'ERR_TOKEN_EXPIRED', detail: { reason: 'token expired' } },
  ],
  [
    'r3',
    {
      event: 'tool.denied',
      principal: bob,
      taskId: 'task-b',
      tool: 'issue-refund',
      decision: 'deny',
      policies: ['forbid-other-customers'],
    },
  ],
  [
    'r4',
    {
      event: 'approval.granted',
      taskId: 'task-a',
      approver: 'ops@example.com',
      approvalId: 'ap-1',
    },
  ],
  [
    'r4',
    {
      event: 'tool.completed',
      principal: alice,
      taskId: 'task-a',
      tool: 'issue-refund',
      durationMs: 3.25,
      outcome: 'ok',
    },
  ],
];

beforeEach(async () => {
  ({ dir, remove } = tempDir());
  config = auditConfigIn(dir, {
    checkpoints: { keyFile: 'checkpoint-key.json', generateIfMissing: true, everyEntries: 2 },
  });
  const trail = await openTrail(config);
  for (const [requestId, event] of story)
    await runWithRequestId(requestId, () => trail.record(event));
  await trail.close();

  configFile = path.join(dir, 'warden.yaml');
  writeFileSync(
    configFile,
    stringify({
      agentCard: 'card.yaml',
      agent: { module: 'agent.js' },
      cardSigning: { keyFile: 'card-key.json' },
      store: { path: 'warden.db' },
      audit: { checkpoints: { keyFile: 'checkpoint-key.json' } },
    }),
  );
});

afterEach(() => remove());

function collect(): { out: (text: string) => void; text: () => string } {
  const chunks: string[] = [];
  return { out: (text) => void chunks.push(text), text: () => chunks.join('') };
}

const tailDefaults = { lines: 20, follow: false, json: false, color: false };

describe('warden audit verify', () => {
  it('verifies the configured file and its checkpoints', async () => {
    const { out, text } = collect();
    await runAuditVerify({ files: [], config: configFile }, out);

    expect(text()).toContain('6 entries in 1 file(s), seq 1..6');
    expect(text()).toMatch(/checkpoints: [1-9] match/);
    expect(text()).toContain('OK: the chain is intact');
  });

  it('names the first bad line and its kind', async () => {
    writeLines(config.file, linesOf(config.file).toSpliced(2, 1));

    await expect(runAuditVerify({ files: [config.file] }, () => {})).rejects.toThrow(
      `${config.file}:3: deleted: seq 3 is missing before this line`,
    );
  });

  it('asks for a key when given checkpoints without one', async () => {
    await expect(
      runAuditVerify({ files: [config.file], checkpoints: config.checkpoints.file }, () => {}),
    ).rejects.toMatchObject({ code: 'ERR_AUDIT_USAGE' });
  });
});

describe('warden audit tail', () => {
  it.each([
    ['--event tool', { event: 'tool' }, ['tool.held', 'tool.denied', 'tool.completed']],
    ['--agent peer-agent-b', { agent: 'peer-agent-b' }, ['tool.denied']],
    ['--user alice', { user: 'alice' }, ['task.created', 'tool.held', 'tool.completed']],
    ['--decision deny', { decision: 'deny' }, ['tool.denied']],
    [
      '--task task-a',
      { task: 'task-a' },
      ['task.created', 'tool.held', 'approval.granted', 'tool.completed'],
    ],
    ['--event tool --lines 1', { event: 'tool', lines: 1 }, ['tool.completed']],
    ['--since 2000-01-01', { since: '2000-01-01' }, story.map(([, e]) => e.event)],
    ['--since 1h', { since: '1h' }, story.map(([, e]) => e.event)],
  ])('filters with %s', async (_flags, filters, events) => {
    const { out, text } = collect();
    await runAuditTail({ ...tailDefaults, file: config.file, json: true, ...filters }, out);

    const shown = text()
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { event: string }).event);
    expect(shown).toEqual(events);
  });

  it('shows one readable line per entry', async () => {
    const { out, text } = collect();
    await runAuditTail({ ...tailDefaults, file: config.file, event: 'tool.held' }, out);

    expect(text()).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z #2 tool\.held +peer-agent-a for alice via peer-agent-a task=task-a tool=issue-refund decision=hold policies=refunds-over-100 approval=ap-1\n$/,
    );
  });

  it('colours refusals red on a terminal', async () => {
    const { out, text } = collect();
    await runAuditTail({ ...tailDefaults, file: config.file, decision: 'deny', color: true }, out);

    expect(text()).toContain('\u001b[31mtool.denied');
  });

  it('follows the file as entries are appended', async () => {
    const { out, text } = collect();
    const stop = new AbortController();
    const following = runAuditTail(
      {
        ...tailDefaults,
        file: config.file,
        follow: true,
        json: true,
        lines: 0,
        signal: stop.signal,
        pollMs: 20,
      },
      out,
    );

    const trail = await openTrail(config);
    await trail.record({ event: 'policy.reloaded', policySetHash: 'abc' });
    await trail.close();
    await expect.poll(() => text()).toContain('policy.reloaded');
    stop.abort();
    await following;
  });

  it('refuses an unreadable --since', async () => {
    await expect(
      runAuditTail({ ...tailDefaults, file: config.file, since: 'yesterday' }, () => {}),
    ).rejects.toThrow(
      '--since "yesterday" is neither an ISO 8601 time nor a duration such as 15m, 2h or 7d',
    );
  });
});

describe('warden audit explain', () => {
  it("shows a task's events in order and why each came out as it did", async () => {
    const { out, text } = collect();
    await runAuditExplain(
      { taskId: 'task-a', files: [], config: configFile, json: false, color: false },
      out,
    );

    const lines = text().trim().split('\n');
    expect(lines[0]).toBe('task task-a: peer-agent-a for alice via peer-agent-a, 4 events');
    expect(lines.filter((l) => l.startsWith('    why: '))).toEqual([
      '    why: created for skill refunds by peer-agent-a for alice via peer-agent-a',
      '    why: held for approval ap-1: permitted by refunds-over-100 only once approved',
      '    why: approved by ops@example.com (approval ap-1)',
      '    why: ran in 3.25 ms',
    ]);
  });

  it('says so when the task has no entries', async () => {
    await expect(
      runAuditExplain(
        { taskId: 'nope', files: [config.file], json: false, color: false },
        () => {},
      ),
    ).rejects.toMatchObject({ code: 'ERR_AUDIT_USAGE' });
  });
});

describe('the warden audit command line', () => {
  // One test, three processes at once: each start of the CLI under tsx takes a second or two.
  it('exits 1 with one line, never a stack, on a missing file or garbage; 0 on an intact file', async () => {
    const [missing, junk, intact] = await Promise.all([
      warden(['audit', 'verify', path.join(dir, 'missing.jsonl')]),
      warden(['audit', 'verify', garbage()]),
      warden(['audit', 'verify', config.file]),
    ]);

    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^warden: ERR_AUDIT_FILE: cannot read audit file .*missing\.jsonl: no such file\n$/,
    );
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(
      /^warden: ERR_AUDIT_CORRUPT: .*garbage\.bin:1: malformed: not an audit entry/,
    );
    for (const failed of [missing, junk]) expect(failed.stderr).not.toMatch(/\n\s+at /);
    expect(intact).toMatchObject({ code: 0, stderr: '' });
    expect(intact.stdout).toContain('OK: the chain is intact');
  });
});

function garbage(): string {
  const file = path.join(dir, 'garbage.bin');
  writeFileSync(file, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x0a, 0x01]));
  return file;
}

function warden(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO,
    env: { ...process.env, WARDEN_CONFIG: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
