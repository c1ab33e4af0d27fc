import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadVerificationKey } from '../../src/audit/checkpoint-key.js';
import type { AuditEntry } from '../../src/audit/entry.js';
import { verifyAuditFiles } from '../../src/audit/verify.js';
import { freePort, REPO } from '../support/harness.js';
import { auditConfigIn, entriesOf, openTrail, recordMany, tempDir } from './support.js';

/**
 * The durability promise, tested the hard way: Warden in its own process (the real CLI), driven
 * by concurrent requests with unique request ids, killed with SIGKILL at a random moment. Every
 * request answered before the kill must have all its entries in the file, and the chain (with
 * its signed checkpoints) must verify. winston's file transport lost 1 to 37 answered requests
 * per run in the same test; the group-commit writer must lose none.
 */

const WORKERS = 16;
const LISTEN_TIMEOUT_MS = 30_000;
/** Load runs until this many requests were answered (or LOAD_MAX_MS), then a random moment more. */
const MIN_ANSWERED = 30;
const LOAD_MAX_MS = 5_000;
const ENTRIES_PER_REQUEST = [
  'task.created',
  'task.state_changed',
  'tool.completed',
  'task.state_changed',
];

let dir: string;
let remove: () => void;
let child: ChildProcess;
let exited: Promise<unknown>;
let url: string;
let idpUrl: string;
let output = '';

beforeAll(async () => {
  ({ dir, remove } = tempDir());
  const [port, idpPort] = await Promise.all([freePort(), freePort()]);
  url = `http://127.0.0.1:${port}`;
  idpUrl = `http://127.0.0.1:${idpPort}`;

  child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', writeConfig(port, idpPort)],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  exited = new Promise((resolve) => child.once('close', resolve));
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  await waitUntilListening();
});

afterAll(() => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  remove();
});

describe('a crash under load (kill -9)', () => {
  it('loses no entry of an answered request, and leaves a chain that verifies', async () => {
    const token = await clientToken();
    expect(await completes('crash-warm-up', token)).toBe(true);
    const answered: string[] = [];
    let stopped = false;

    const workers = Array.from({ length: WORKERS }, async (_, worker) => {
      for (let i = 0; !stopped; i += 1) {
        const requestId = `crash-${worker}-${i}`;
        if (await completes(requestId, token).catch(() => false)) answered.push(requestId);
      }
    });
    await until(() => answered.length >= MIN_ANSWERED, LOAD_MAX_MS);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 500));
    child.kill('SIGKILL');
    await exited;
    stopped = true;
    await Promise.all(workers);

    const config = auditConfigIn(dir, { checkpoints: { keyFile: 'checkpoint-key.json' } });
    const byRequest = groupByRequest(entriesOf(config.file));
    const missing = answered.filter((id) => !hasAllEntries(byRequest.get(id) ?? []));
    expect(answered.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);

    const key = loadVerificationKey(config.checkpoints.keyFile ?? '');
    const report = await verifyAuditFiles({
      files: [config.file],
      checkpoints: { file: config.checkpoints.file, key },
    });
    expect(report.problem).toBeUndefined();

    // And Warden's trail takes the file up again: the dead process's lock, any torn tail.
    const trail = await openTrail(config);
    await recordMany(trail, 1);
    await trail.close();
    expect((await verifyAuditFiles({ files: [config.file] })).problem).toBeUndefined();
  });
});

function writeConfig(port: number, idpPort: number): string {
  const file = path.join(dir, 'warden.yaml');
  const config = {
    server: { host: '127.0.0.1', port, shutdownGraceMs: 1000 },
    agentCard: path.join(REPO, 'agent-card/support-agent.yaml'),
    agent: { module: path.join(REPO, 'examples/support-agent/agent.ts') },
    auth: {
      issuers: [
        { issuer: `http://127.0.0.1:${idpPort}`, allowInsecureIssuer: true, algorithms: ['ES256'] },
      ],
    },
    cardSigning: { keyFile: 'card-key.json', generateIfMissing: true },
    store: { path: 'warden.db' },
    devIdp: { enabled: true, port: idpPort },
    audit: {
      checkpoints: { keyFile: 'checkpoint-key.json', generateIfMissing: true, intervalMs: 100 },
    },
  };
  writeFileSync(file, stringify(config));
  return file;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

async function waitUntilListening(): Promise<void> {
  const deadline = Date.now() + LISTEN_TIMEOUT_MS;
  while (!output.includes('"message":"listening"')) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`Warden did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function clientToken(): Promise<string> {
  const res = await fetch(`${idpUrl}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('peer-agent-a:peer-agent-a-secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'support.orders.read',
      resource: url,
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Sends one order-history request; true once Warden answered it with a completed task. */
async function completes(requestId: string, token: string): Promise<boolean> {
  const message = {
    messageId: requestId,
    role: 'ROLE_USER',
    parts: [{ data: { skill: 'order-history', customerId: 'alice' } }],
  };
  const res = await fetch(`${url}/a2a/jsonrpc`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'a2a-version': '1.0',
      'content-type': 'application/json',
      'x-request-id': requestId,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message } }),
  });
  const body = (await res.json()) as { result?: { task?: { status?: { state?: string } } } };
  return res.status === 200 && body.result?.task?.status?.state === 'TASK_STATE_COMPLETED';
}

function groupByRequest(entries: readonly AuditEntry[]): Map<string, AuditEntry[]> {
  const groups = new Map<string, AuditEntry[]>();
  for (const entry of entries) {
    if (entry.requestId === undefined) continue;
    groups.set(entry.requestId, [...(groups.get(entry.requestId) ?? []), entry]);
  }
  return groups;
}

/** Every entry a completed request leaves (policy and limits may add more; those are not required). */
function hasAllEntries(entries: readonly AuditEntry[]): boolean {
  const count = (event: string, list: readonly string[]) => list.filter((e) => e === event).length;
  const events = entries.map((e) => e.event);
  return (
    ENTRIES_PER_REQUEST.every(
      (event) => count(event, events) >= count(event, ENTRIES_PER_REQUEST),
    ) && entries.some((e) => e.outcome === 'TASK_STATE_COMPLETED')
  );
}
