import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createClient } from 'redis';
import type { Logger } from '../../src/log/logger.js';

/** The machine's Redis, shared with other tests: each test run uses its own key prefix. */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/** A key prefix no other run uses. */
export function uniquePrefix(): string {
  return `warden-test:${randomUUID()}:`;
}

/** Deletes every key under `prefix` from the Redis at `url`. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys);
    }
  } finally {
    client.destroy();
  }
}

/** A logger that keeps every line it writes, as the structured object winston built. */
export function recordingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    objectMode: true,
    write(line: Record<string, unknown>, _encoding, done) {
      lines.push(line);
      done();
    },
  });
  const logger = winston.createLogger({
    level: 'debug',
    transports: [new winston.transports.Stream({ stream: sink })],
  });
  return { logger, lines };
}

/** One audit entry, as tests read it. */
export interface AuditSeen {
  event: string;
  agent?: string;
  skill?: string;
  tool?: string;
  outcome?: string;
  detail?: Record<string, unknown>;
}

/** The audit entries Warden wrote to the audit file in `dataDir` (`audit.file`'s default). */
export function auditEntries(dataDir: string): AuditSeen[] {
  return readFileSync(path.join(dataDir, 'audit.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as AuditSeen);
}

/** An answer to a raw HTTP call. */
export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** Sends a JSON-RPC `SendMessage` invoking `skill` with `args`, as a raw HTTP request. */
export async function sendSkill(
  url: string,
  token: string,
  skill: string,
  args: Record<string, unknown>,
  options: { contextId?: string; id?: number } = {},
): Promise<Answer> {
  const message = {
    messageId: randomUUID(),
    role: 'ROLE_USER',
    parts: [{ data: { skill, ...args } }],
    ...(options.contextId ? { contextId: options.contextId } : {}),
  };
  const body = { jsonrpc: '2.0', id: options.id ?? 1, method: 'SendMessage', params: { message } };
  return post(`${url}/a2a/jsonrpc`, token, body);
}

/** POSTs `body` as JSON with the A2A version header and, when given, a bearer token. */
export async function post(url: string, token: string | undefined, body: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'a2a-version': '1.0',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: parseJson(text) };
}

function parseJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { text };
  }
}

/** The final task state of a `SendMessage` answer, e.g. `TASK_STATE_COMPLETED`. */
export function taskStateOf(answer: Answer): string | undefined {
  const task = (answer.body['result'] as { task?: { status?: { state?: string } } } | undefined)
    ?.task;
  return task?.status?.state;
}

/** The text of the final status message of a `SendMessage` answer. */
export function statusTextOf(answer: Answer): string {
  const task = (answer.body['result'] as { task?: Record<string, unknown> } | undefined)?.task;
  const status = task?.['status'] as { message?: { parts?: { text?: string }[] } } | undefined;
  return status?.message?.parts?.map((part) => part.text ?? '').join('') ?? '';
}

/** A `redis-server` of the test's own, on `port`, without persistence: it can be stopped. */
export class OwnRedis {
  private child: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--save', '', '--appendonly', 'no'];
    const child = spawn('redis-server', [...args, '--bind', '127.0.0.1'], { stdio: 'ignore' });
    this.child = child;
    await waitFor(async () => ping(this.url), 5_000);
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null) return;

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }
}

async function ping(url: string): Promise<boolean> {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    if (client.isOpen) client.destroy();
  }
}

/** Polls `check` every 50 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
