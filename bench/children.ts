import { fork, type ChildProcess } from 'node:child_process';
import type { EchoTexts, LoadTarget, RunningTarget, ServerSample } from './target.js';

/**
 * The servers a run can compare, in the order of the first round, the baseline first:
 * - `bare`: the echo skill on the bare `@a2a-js/sdk` server, no security at all;
 * - `warden`: the whole pipeline, every echo text unique, so every Cedar decision is new;
 * - `warden-repeat`: the same, the texts cycling over four, so the decisions repeat;
 * - `warden-nofsync`: as `warden`, with `audit.fsync: false`, to price the durable audit append.
 */
export const SERVER_NAMES = ['bare', 'warden', 'warden-repeat', 'warden-nofsync'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

interface ServerSpec {
  readonly echoTexts: EchoTexts;
  /** Undefined for the bare server. */
  readonly auditFsync?: boolean;
}

const SPECS: Readonly<Record<ServerName, ServerSpec>> = {
  bare: { echoTexts: 'unique' },
  warden: { echoTexts: 'unique', auditFsync: true },
  'warden-repeat': { echoTexts: 'repeating', auditFsync: true },
  'warden-nofsync': { echoTexts: 'unique', auditFsync: false },
};

/** A server running in a child process, as the parent sees it. */
export interface ChildServer {
  /** With `readSample`, which asks the child over IPC. */
  readonly target: LoadTarget;
  /** Settles with how the child ended (`code 0`, `signal SIGSEGV`); before `close`, a crash. */
  readonly crashed: Promise<string>;
  close(): Promise<void>;
}

/** What the parent asks a child. */
type ParentMessage = { sample: number } | 'close';

/** What a child answers. */
type ChildMessage =
  { ready: LoadTarget } | { failed: string } | { sampleId: number; sample: ServerSample };

/** What the parent tells {@link serveForParent} (as flags) about how to run. */
export interface ServeOptions {
  /** The bench IdP's issuer URL, which a Warden server trusts; unused by the bare server. */
  readonly issuer: string | undefined;
}

/**
 * Starts each named server in its own child process and waits for all to listen. `script`,
 * forked with `args`, must lead to {@link serveForParent}, as `bench/serve.ts` does. If one fails
 * to start, the others are stopped: their IPC channels would keep this process up.
 */
export async function spawnServers(
  names: readonly ServerName[],
  script: string,
  args: (name: ServerName) => string[],
): Promise<ChildServer[]> {
  const settled = await Promise.allSettled(
    names.map((name) => spawnServer(name, script, args(name))),
  );
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));

  const failure = settled.find((s) => s.status === 'rejected');
  if (failure === undefined) return started;

  await Promise.all(started.map((child) => child.close()));
  throw failure.reason;
}

function spawnServer(name: ServerName, script: string, args: string[]): Promise<ChildServer> {
  const child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const crashed = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)),
  );

  return new Promise((resolve, reject) => {
    void crashed.then((how) => reject(new Error(`${name} server exited early (${how})`)));
    child.once('message', (message: ChildMessage) => {
      if ('failed' in message) return reject(new Error(`${name} server: ${message.failed}`));
      if (!('ready' in message)) return reject(new Error(`${name} server: unexpected message`));

      const target = { ...message.ready, readSample: sampler(child, name, crashed) };
      resolve({ target, crashed, close: () => stopChild(child) });
    });
  });
}

// Answers are matched by id, so a late answer can never be taken for the next question's.
function sampler(child: ChildProcess, name: string, crashed: Promise<string>) {
  let nextId = 0;

  return () =>
    new Promise<ServerSample>((resolve, reject) => {
      const id = nextId++;
      const onMessage = (message: ChildMessage) => {
        if (!('sampleId' in message) || message.sampleId !== id) return;
        child.off('message', onMessage);
        resolve(message.sample);
      };
      child.on('message', onMessage);
      void crashed.then((how) => reject(new Error(`${name} server exited (${how})`)));
      child.send({ sample: id } satisfies ParentMessage);
    });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();

  return new Promise((resolve) => {
    // A child that cannot close within 5 s is killed by its own handle, never by name.
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send('close' satisfies ParentMessage);
  });
}

/**
 * Child side: starts one server, reports its target, answers samples, and closes it when the
 * parent says so (or goes away). Resolves to the process's exit code.
 */
export async function serveForParent(name: string, options: ServeOptions): Promise<number> {
  let running: RunningTarget;
  try {
    running = await startServer(name, options);
  } catch (error) {
    process.send?.({ failed: error instanceof Error ? error.message : String(error) });
    return 1;
  }

  process.send?.({ ready: running.target } satisfies ChildMessage);
  await new Promise<void>((resolve) => {
    process.on('message', (message: ParentMessage) => {
      if (message === 'close') return resolve();
      process.send?.({
        sampleId: message.sample,
        sample: sampleOf(running),
      } satisfies ChildMessage);
    });
    process.once('disconnect', () => resolve());
  });
  await running.close();
  if (process.connected) process.disconnect();
  return 0;
}

async function startServer(name: string, options: ServeOptions): Promise<RunningTarget> {
  const spec = SPECS[name as ServerName] as ServerSpec | undefined;
  if (spec === undefined) throw new RangeError(`unknown server "${name}"`);

  // Imported here so that each process loads only the server it runs.
  if (spec.auditFsync === undefined) return (await import('./bare-server.js')).startBareServer();
  if (options.issuer === undefined) throw new TypeError(`${name} needs the bench IdP's issuer`);

  const { startWardenServer } = await import('./warden-server.js');
  return startWardenServer({ name, ...spec, auditFsync: spec.auditFsync, issuer: options.issuer });
}

function sampleOf(running: RunningTarget): ServerSample {
  const { user, system } = process.cpuUsage();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  const caches = running.readCaches?.();
  const heap = { heapUsedBytes: heapUsed, heapTotalBytes: heapTotal };
  const memory = { rssBytes: rss, ...heap, externalBytes: external };

  return { cpuUs: user + system, ...memory, ...(caches && { caches }) };
}
