import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIdp } from '../../src/devidp/index.js';
import {
  ALL_SCOPES,
  clientToken,
  freePort,
  REPO,
  startIdp,
  SUPPORT_CARD,
} from '../support/harness.js';
import {
  deleteKeys,
  sendSkill,
  SHARED_REDIS_URL,
  statusTextOf,
  taskStateOf,
  uniquePrefix,
  type Answer,
} from './support.js';
import { spawnWarden, stopWarden, waitUntilListening, type WardenProcess } from './processes.js';

/**
 * Three `warden serve` processes, as three replicas behind a load balancer: one public URL (so one
 * token audience), one IdP, one Redis prefix. Together they must hold one limit and one budget.
 */

const LIMIT = 10;
// order-history: a window no burst outlasts, however loaded the machine: one burst, one window.
const LONG_WINDOW_MS = 60_000;
// customer-profile: a window short enough to cross in a test.
const SHORT_WINDOW_MS = 2_000;
const START_TIMEOUT_MS = 60_000;
const PUBLIC_URL = 'http://warden-replicas.test';
const ORDERS = { customerId: 'alice' };

const prefix = uniquePrefix();
const tempDir = mkdtempSync(path.join(os.tmpdir(), 'warden-replicas-'));
let idp: DevIdp;
let replicas: { process: WardenProcess; url: string }[] = [];
let token: string;

/** Starts a replica named `name`, in a directory of its own, on `port`. */
function startReplica(name: string, port: number, limits: Record<string, unknown>) {
  const dir = path.join(tempDir, name);
  mkdirSync(dir);
  return spawnWarden(dir, {
    server: { port, publicUrl: PUBLIC_URL, shutdownGraceMs: 1_000 },
    agentCard: SUPPORT_CARD,
    agent: { module: path.join(REPO, 'examples/support-agent/agent.ts') },
    auth: { issuers: [{ issuer: idp.issuer, allowInsecureIssuer: true }] },
    cardSigning: { keyFile: path.join(dir, 'card-key.json'), generateIfMissing: true },
    store: { path: path.join(dir, 'warden.db') },
    devIdp: { enabled: false },
    log: { level: 'info', format: 'json' },
    limits,
  });
}

beforeAll(async () => {
  idp = await startIdp([PUBLIC_URL]);
  const limits = {
    // The suite shares loaded machines: a process starved of CPU for the default 500 ms would time
    // out replies already waiting in its socket, and refuse with 503.
    redis: { url: SHARED_REDIS_URL, prefix, commandTimeoutMs: 5_000 },
    skills: {
      'order-history': { limit: LIMIT, windowMs: LONG_WINDOW_MS },
      'customer-profile': { limit: LIMIT, windowMs: SHORT_WINDOW_MS },
    },
    budgets: {
      tools: { 'issue-refund': { callsPerContext: 3, totals: { amount: { perContext: 100 } } } },
    },
  };
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  replicas = ports.map((port, i) => ({
    process: startReplica(`r${i}`, port, limits),
    url: `http://127.0.0.1:${port}`,
  }));

  await Promise.all(replicas.map((r) => waitUntilListening(r.process, START_TIMEOUT_MS)));
  token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, PUBLIC_URL);
}, START_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(replicas.map((r) => stopWarden(r.process)));
  await idp?.close();
  await deleteKeys(SHARED_REDIS_URL, prefix);
  rmSync(tempDir, { recursive: true, force: true });
});

/** Calls `skill` for alice through replica `i % 3`. */
function call(skill: string, i: number): Promise<Answer> {
  return sendSkill(replicas[i % 3]?.url ?? '', token, skill, ORDERS);
}

/** Sends `count` calls of `skill` at once, spread evenly over the replicas. */
function burst(skill: string, count: number): Promise<Answer[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => call(skill, i)));
}

/** The calling agent's counter of `skill` in Redis: hits so far and ms until its window ends. */
async function counterOf(skill: string): Promise<{ hits: number; remainingMs: number }> {
  const client = createClient({ url: SHARED_REDIS_URL });
  await client.connect();
  try {
    const [key] = await client.keys(`${prefix}rl:skill%3A${skill}:*`);
    if (key === undefined) return { hits: 0, remainingMs: 0 };
    return { hits: Number(await client.get(key)), remainingMs: await client.pTTL(key) };
  } finally {
    client.destroy();
  }
}

/** Fills a window of `skill` that has at least `marginMs` left, and returns its counter. */
async function fullWindow(skill: string, marginMs: number) {
  for (;;) {
    await burst(skill, 2 * LIMIT);
    const counter = await counterOf(skill);
    if (counter.remainingMs >= marginMs) return counter;
    await new Promise((resolve) => setTimeout(resolve, counter.remainingMs + 20));
  }
}

/** Calls `skill` on the replicas in turn from `workers` concurrent loops until `untilMs`. */
async function loadUntil(skill: string, untilMs: number, workers: number) {
  const seen: { status: number; at: number }[] = [];
  const worker = async (offset: number) => {
    for (let i = offset; Date.now() < untilMs; i += workers) {
      const answer = await call(skill, i);
      seen.push({ status: answer.status, at: Date.now() });
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));
  return seen;
}

describe('three Warden processes sharing Redis', () => {
  it('admit exactly the limit under concurrent load, together', async () => {
    const answers = await burst('order-history', 6 * LIMIT);

    expect(answers.filter((a) => a.status === 200)).toHaveLength(LIMIT);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(5 * LIMIT);
    const refusedBy = new Set(answers.flatMap((a, i) => (a.status === 429 ? [i % 3] : [])));
    expect(refusedBy).toEqual(new Set([0, 1, 2]));
  });

  it('admit exactly the limit per window, under load across a window boundary', async () => {
    const before = await fullWindow('customer-profile', 500);
    const boundary = Date.now() + before.remainingMs;
    const stopAt = boundary + SHORT_WINDOW_MS / 3;

    const seen = await loadUntil('customer-profile', stopAt, 6);

    // What the old window had left (none, unless the filling burst itself crossed a boundary),
    // then the whole new window, which outlasts the load.
    const leftInOldWindow = Math.max(LIMIT - before.hits, 0);
    expect(seen.filter((s) => s.status === 200)).toHaveLength(leftInOldWindow + LIMIT);
    expect(seen.some((s) => s.at < boundary)).toBe(true);
    expect(seen.some((s) => s.status === 429 && s.at > boundary)).toBe(true);
  });

  it('hold a per-context budget of calls and of amounts together', async () => {
    const refunds = async (amount: number) => {
      const contextId = randomUUID();
      return Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          sendSkill(
            replicas[i % 3]?.url ?? '',
            token,
            'refunds',
            { orderId: 'o-1001', amount },
            {
              contextId,
            },
          ),
        ),
      );
    };
    const [byCalls, byAmount] = await Promise.all([refunds(5), refunds(40)]);
    const completed = (answers: Answer[]) =>
      answers.filter((a) => taskStateOf(a) === 'TASK_STATE_COMPLETED').length;

    expect(completed(byCalls)).toBe(3);
    expect(completed(byAmount)).toBe(2);
    expect(byCalls.map(statusTextOf)).toContain(
      'budget exceeded: at most 3 "issue-refund" calls per context',
    );
    expect(byAmount.map(statusTextOf)).toContain(
      'budget exceeded: "issue-refund" amount per context would reach 120 of 100',
    );
  });
});
