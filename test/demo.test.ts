import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { freePort, REPO } from './support/harness.js';

/**
 * The demo as a user runs it: `warden serve --config config/warden.dev.yaml` through the real CLI
 * in its own process, then the peer agent example against it. Only the paths of the demo config
 * change (to the sources, and to a temporary data directory); ports come from the environment
 * variables the config itself reads.
 */

const LISTEN_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;
const PEER_TIMEOUT_MS = 15_000;

/** The keys of the demo config this test points elsewhere; every other key is kept as written. */
interface DemoConfig {
  agentCard: string;
  agent: { module: string };
  cardSigning: { keyFile: string };
  store: { path: string };
  policy: { schema: string; files: string[] };
}

/** A process started by the test, with everything it wrote so far. */
interface Captured {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

/** One JSON log line; non-JSON lines (a dependency's own warning on stderr) are skipped. */
type LogLine = Record<string, unknown> & { message?: unknown; level?: unknown; code?: unknown };

let tempDir: string;
let server: Captured;
let url: string;
let idpPort: number;

beforeAll(async () => {
  tempDir = mkdtempSync(path.join(os.tmpdir(), 'warden-demo-'));
  const [port, devIdpPort] = await Promise.all([freePort(), freePort()]);
  url = `http://127.0.0.1:${port}`;
  idpPort = devIdpPort;

  server = start(['src/cli/main.ts', 'serve', '--config', writeDemoConfig(tempDir)], {
    WARDEN_PORT: String(port),
    WARDEN_DEV_IDP_PORT: String(devIdpPort),
  });
  await waitForLog(server, 'listening', LISTEN_TIMEOUT_MS);
});

afterAll(() => {
  if (server && isRunning(server.child)) server.child.kill('SIGKILL');
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});

describe('the demo (warden serve with the dev IdP, and the peer agent)', () => {
  it("lets the peer read the card, get a token and list alice's orders", async () => {
    const peer = await runPeer(['--url', url]);

    expect(peer.stderr).toBe('');
    expect(peer.code).toBe(0);
    expect(peer.stdout).toContain(`issuer:  http://127.0.0.1:${idpPort}\n`);
    expect(peer.stdout).toContain('scope "support.orders.read"');
    expect(peer.stdout).toContain('state:   TASK_STATE_COMPLETED');
    expect(peer.stdout).toContain('"id": "o-1001"');
  });

  it('lets the peer act on behalf of bob by token exchange', async () => {
    const args = ['--on-behalf-of', 'bob', '--skill', 'customer-profile'];
    const peer = await runPeer(['--url', url, ...args, '--args', '{"customerId":"bob"}']);

    expect(peer.stderr).toBe('');
    expect(peer.code).toBe(0);
    expect(peer.stdout).toContain('on behalf of bob, scope "support.profile.read"');
    expect(peer.stdout).toContain('state:   TASK_STATE_COMPLETED');
    expect(peer.stdout).toContain('"email": "bob@example.com"');
  });

  it('refuses a skill whose scopes the token lacks with 403 insufficient_scope', async () => {
    const args = ['--skill', 'refunds', '--args', '{"orderId":"o-1001","amount":5}'];
    const peer = await runPeer(['--url', url, ...args, '--scope', 'support.orders.read']);

    expect(peer.code).toBe(1);
    expect(peer.stdout).not.toContain('state:');
    expect(peer.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(peer.stderr).toMatch(/^peer-agent: SendMessage refused: HTTP 403 WWW-Authenticate: /);
    expect(peer.stderr).toContain('error="insufficient_scope"');
    expect(peer.stderr).toContain('scope="support.refunds.write support.orders.read"');
  });

  it('warns at start-up that the development IdP is running', () => {
    const warning = logLines(server.stdout).find((line) => line.code === 'WARDEN_DEV_IDP');

    expect(warning).toMatchObject({ level: 'warn', issuer: `http://127.0.0.1:${idpPort}` });
  });

  it('writes no token to its logs', () => {
    // Every JWS compact serialisation starts with the base64url of `{"`: `eyJ`.
    expect(server.stdout).not.toContain('eyJ');
    expect(server.stderr).not.toContain('eyJ');
  });

  it('drains and exits 0 on SIGTERM, logging "stopped"', async () => {
    server.child.kill('SIGTERM');

    const code = await withTimeout(server.exit, STOP_TIMEOUT_MS, () => output(server));
    expect(code).toBe(0);
    expect(logLines(server.stdout).map((line) => line.message)).toContain('stopped');
  });
});

/** Writes the demo config with its paths made absolute: sources in the repo, data in `dir`. */
function writeDemoConfig(dir: string): string {
  const text = readFileSync(path.join(REPO, 'config/warden.dev.yaml'), 'utf8');
  const config = parse(text) as DemoConfig;

  config.agentCard = path.join(REPO, 'agent-card/support-agent.yaml');
  // tsx loads the TypeScript source, so the test needs no `npm run build` first.
  config.agent.module = path.join(REPO, 'examples/support-agent/agent.ts');
  config.cardSigning.keyFile = path.join(dir, 'card-signing-key.json');
  config.store.path = path.join(dir, 'warden.db');
  config.policy.schema = path.join(REPO, 'policies/support/schema.cedarschema');
  config.policy.files = [path.join(REPO, 'policies/support')];

  const file = path.join(dir, 'warden.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/** Starts `node --import tsx <args>` in the repo, capturing its output. */
function start(args: string[], env: Record<string, string> = {}): Captured {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const captured: Captured = { child, stdout: '', stderr: '', exit: exitOf(child) };
  // A spawn failure is reported by whoever awaits `exit`; this only keeps it from going unhandled.
  captured.exit.catch(() => undefined);

  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (captured.stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (captured.stderr += chunk));
  return captured;
}

/** Runs the peer agent to completion. */
async function runPeer(args: string[]): Promise<{ code: number | null } & Captured> {
  const peer = start(['examples/peer-agent/main.ts', ...args]);

  try {
    const code = await withTimeout(peer.exit, PEER_TIMEOUT_MS, () => output(peer));
    return { ...peer, code };
  } finally {
    if (isRunning(peer.child)) peer.child.kill('SIGKILL');
  }
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    // 'close', not 'exit': by then stdout and stderr have been read to their end.
    child.once('close', (code) => resolve(code));
  });
}

/** Resolves once `captured` logs a line whose message is `message`; fails on exit or timeout. */
async function waitForLog(captured: Captured, message: string, timeoutMs: number): Promise<void> {
  const logged = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (logLines(captured.stdout).some((line) => line.message === message)) resolve();
    };
    captured.child.stdout?.on('data', check);
    captured.exit.then(
      (code) =>
        reject(new Error(`exited ${code} before logging "${message}":\n${output(captured)}`)),
      reject,
    );
  });

  await withTimeout(logged, timeoutMs, () => output(captured));
}

function withTimeout<T>(promise: Promise<T>, ms: number, describe: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms:\n${describe()}`)), ms);
  });

  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function logLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
}

function output(captured: Captured): string {
  return `--- stdout\n${captured.stdout}--- stderr\n${captured.stderr}`;
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}
