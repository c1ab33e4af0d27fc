import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import * as oidc from 'openid-client';

/** What {@link soakPolicy} does. */
export interface SoakOptions {
  readonly durationSec: number;
  readonly connections?: number;
  /** False runs the server with `WARDEN_UNSAFE_JS_WASM_INLINING=1`: is the crash still there? */
  readonly guarded: boolean;
}

/** What a soak saw. */
export interface SoakReport {
  readonly durationSec: number;
  readonly guarded: boolean;
  /** Engine decisions in a child process (the workload of `benchPolicy`), for half the time. */
  readonly decisions: { readonly survived: boolean; readonly exit: string };
  readonly requests: number;
  /** Non-2xx answers and requests without any answer. */
  readonly errors: number;
  /** True when both the decision child and the server survived and closed cleanly. */
  readonly survived: boolean;
  /** How the server process ended, e.g. `code 0` or `signal SIGTRAP`, with its last stderr. */
  readonly exit: string;
}

interface Ready {
  url: string;
  tokens: string[];
}

const REPO = repositoryRoot(path.dirname(fileURLToPath(import.meta.url)));

/**
 * A bounded load soak with Cedar in every request: a Warden server (support agent and policies,
 * decision cache off, so every call crosses into wasm) in a child process, driven over HTTP by
 * autocannon with a mix of allowed and denied calls. The V8 fatal error this guards against
 * kills the process (SIGTRAP/SIGILL/SIGSEGV): the soak fails if the server did not survive.
 */
export async function soakPolicy(options: SoakOptions): Promise<SoakReport> {
  const env = {
    ...process.env,
    ...(options.guarded ? {} : { WARDEN_UNSAFE_JS_WASM_INLINING: '1' }),
  };
  const half = Math.max(1, Math.round(options.durationSec / 2));
  const decisions = await soakDecisions(half, env);
  const http = await soakHttp({ ...options, durationSec: half }, env);

  return {
    ...http,
    durationSec: options.durationSec,
    decisions,
    survived: decisions.survived && http.survived,
  };
}

// The crash reproduced at once on this machine type with the engine hot in a loop (unguarded):
// the decision soak is the sharper probe, the HTTP soak the realistic one.
async function soakDecisions(
  durationSec: number,
  env: NodeJS.ProcessEnv,
): Promise<SoakReport['decisions']> {
  const child = fork(fileURLToPath(import.meta.url), ['--decide-soak', String(durationSec)], {
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exit = await new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)),
  );
  return { survived: exit === 'code 0', exit: exit === 'code 0' ? exit : `${exit}\n${stderr}` };
}

async function soakHttp(options: SoakOptions, env: NodeJS.ProcessEnv) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve-soak'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)),
  );

  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (message: Ready) => resolve(message));
    void exited.then((how) =>
      reject(new Error(`soak server exited before it was ready (${how}): ${stderr}`)),
    );
  });
  const load = await drive(ready, options);
  const aliveAfterLoad = child.exitCode === null && child.signalCode === null;
  child.send('close');
  const exit = await exited;

  const survived = aliveAfterLoad && exit === 'code 0';
  return {
    guarded: options.guarded,
    ...load,
    survived,
    exit: survived ? exit : `${exit}\n${stderr}`,
  };
}

/** Child side of the decision soak: the benchmark's workload, again and again, for a while. */
async function decideSoak(durationSec: number): Promise<void> {
  const { benchPolicy } = await import('./policy.js');
  const until = Date.now() + durationSec * 1000;
  do await benchPolicy();
  while (Date.now() < until);
  process.disconnect();
}

async function drive(
  ready: Ready,
  options: SoakOptions,
): Promise<{ requests: number; errors: number }> {
  const bodies = [
    { token: 0, skill: { skill: 'order-history', customerId: 'alice' } }, // allowed (ReBAC)
    { token: 1, skill: { skill: 'customer-profile', customerId: 'bob' } }, // allowed (ABAC)
    { token: 1, skill: { skill: 'customer-profile', customerId: 'alice' } }, // denied
  ].map(({ token, skill }) => ({
    method: 'POST' as const,
    headers: {
      'content-type': 'application/json',
      'a2a-version': '1.0',
      authorization: `Bearer ${ready.tokens[token] ?? ''}`,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'SendMessage',
      params: { message: { messageId: '[<id>]', role: 'ROLE_USER', parts: [{ data: skill }] } },
    }),
  }));
  const result = await autocannon({
    url: `${ready.url}/a2a/jsonrpc`,
    connections: options.connections ?? 16,
    duration: options.durationSec,
    idReplacement: true,
    requests: bodies,
  });
  return {
    requests: result.requests.total,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

/** Child side: the server under soak, until the parent says close. */
async function serveSoak(): Promise<void> {
  const [
    { startDevIdp },
    { resolveConfig },
    { createLogger },
    { createWarden },
    { createSupportAgent },
  ] = await Promise.all([
    import('../src/devidp/index.js'),
    import('../src/config/load.js'),
    import('../src/log/logger.js'),
    import('../src/server/warden.js'),
    import('../examples/support-agent/agent.js'),
  ]);
  const logger = createLogger({ silent: true });
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  const url = `http://127.0.0.1:${port}`;
  const scopes = [
    'support.profile.read',
    'support.orders.read',
    'support.tickets.write',
    'support.refunds.write',
  ];
  const idp = await startDevIdp({
    port: 0,
    resources: { [url]: { scopes } },
    accessTokenTtlSec: 3600,
    logger,
  });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'warden-soak-'));
  const config = resolveConfig({
    server: { port },
    agentCard: path.join(REPO, 'agent-card/support-agent.yaml'),
    agent: { module: 'unused.js' },
    auth: { issuers: [{ issuer: idp.issuer, allowInsecureIssuer: true }] },
    cardSigning: { keyFile: path.join(dataDir, 'key.json'), generateIfMissing: true },
    store: { path: path.join(dataDir, 'warden.db') },
    policy: {
      schema: path.join(REPO, 'policies/support/schema.cedarschema'),
      files: [path.join(REPO, 'policies/support')],
      cache: { ttlMs: 0 },
    },
  });
  const warden = await createWarden({ config, logger, agent: createSupportAgent() });
  await warden.listen();

  const client = await oidc.discovery(
    new URL(idp.issuer),
    'peer-agent-a',
    'peer-agent-a-secret',
    undefined,
    { execute: [oidc.allowInsecureRequests] },
  );
  const agentToken = (
    await oidc.clientCredentialsGrant(client, { scope: scopes.join(' '), resource: url })
  ).access_token;
  const exchange = {
    subject_token: 'bob',
    subject_token_type: 'urn:warden:params:oauth:token-type:dev-user',
    scope: scopes.join(' '),
    resource: url,
  };
  const bobToken = (
    await oidc.genericGrantRequest(
      client,
      'urn:ietf:params:oauth:grant-type:token-exchange',
      exchange,
    )
  ).access_token;
  process.send?.({ url, tokens: [agentToken, bobToken] } satisfies Ready);

  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 500)); // in-flight tasks finish
  await warden.close();
  await idp.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.disconnect();
}

// `dist/bench/` when compiled, `bench/` under tsx.
function repositoryRoot(dirname: string): string {
  return path.resolve(dirname, path.basename(path.dirname(dirname)) === 'dist' ? '../..' : '..');
}

const decideIndex = process.argv.indexOf('--decide-soak');
if (decideIndex > 0) {
  decideSoak(Number(process.argv[decideIndex + 1] ?? '10')).catch((error: unknown) => {
    process.stderr.write(
      `decision soak failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}

if (process.argv.includes('--serve-soak')) {
  serveSoak().catch((error: unknown) => {
    process.stderr.write(
      `soak server failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
