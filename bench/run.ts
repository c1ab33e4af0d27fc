import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBareServer } from './bare-server.js';
import { startWardenServer } from './warden-server.js';
import {
  assertEchoCompletes,
  runLoad,
  summarizeRuns,
  type LoadFigures,
  type LoadResult,
  type LoadTarget,
  type RunningTarget,
} from './load.js';

/**
 * `npm run bench`: the echo skill on the bare `@a2a-js/sdk` server and on Warden, each server in
 * its own child process so neither shares an event loop with autocannon, driven in alternating
 * order round after round. Flags: --connections 20, --duration 10 (s), --rounds 2, --warmup 2 (s),
 * --json FILE.
 */

/** The two servers compared, in the order of the first round; the baseline first. */
const SERVERS = ['bare', 'warden'] as const;
type ServerName = (typeof SERVERS)[number];

/** Above this, autocannon itself may have been the limit rather than the server. */
const CLIENT_CPU_WARNING_PERCENT = 90;

interface BenchOptions {
  connections: number;
  durationSec: number;
  rounds: number;
  warmupSec: number;
  jsonFile: string | undefined;
}

interface BenchReport {
  rounds: (LoadFigures & { round: number })[];
  summaries: LoadFigures[];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '20' },
      duration: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '2' },
      warmup: { type: 'string', default: '2' },
      json: { type: 'string' },
      // Internal: how the parent starts each server in a child process.
      serve: { type: 'string' },
    },
  });
  if (values.serve !== undefined) return serveForParent(values.serve);

  return benchmark({
    connections: positiveInteger('--connections', values.connections),
    durationSec: positiveInteger('--duration', values.duration),
    rounds: positiveInteger('--rounds', values.rounds),
    warmupSec: positiveInteger('--warmup', values.warmup, 0),
    jsonFile: values.json,
  });
}

async function benchmark(options: BenchOptions): Promise<number> {
  const children = await Promise.all(SERVERS.map((name) => spawnServer(name)));
  try {
    const targets = children.map((child) => child.target);
    for (const target of targets) await assertEchoCompletes(target);

    writeLine(header(options));
    const report = await measure(targets, options);
    writeLine(formatReport(report.summaries));
    if (options.jsonFile !== undefined) writeFileSync(options.jsonFile, toJson(report, options));
    return report.summaries.some((summary) => summary.failures > 0) ? 1 : 0;
  } finally {
    await Promise.all(children.map((child) => child.close()));
  }
}

async function measure(
  targets: readonly LoadTarget[],
  options: BenchOptions,
): Promise<BenchReport> {
  const load = { connections: options.connections, durationSec: options.durationSec };
  const runs = new Map<string, LoadResult[]>(targets.map((target) => [target.name, []]));
  const rounds: BenchReport['rounds'] = [];

  if (options.warmupSec > 0) {
    writeLine(`warming up each server for ${options.warmupSec} s (not measured)`);
    for (const target of targets)
      await runLoad(target, { ...load, durationSec: options.warmupSec });
  }

  for (let round = 1; round <= options.rounds; round += 1) {
    // Alternating the order cancels out drift (JIT, heap growth, CPU clock) between the servers.
    const ordered = round % 2 === 1 ? targets : [...targets].reverse();
    for (const target of ordered) {
      const result = await runLoad(target, load);
      runs.get(target.name)?.push(result);
      rounds.push({ ...result.figures, round });
      writeLine(`round ${round}  ${formatRow(result.figures)}`);
    }
  }

  const summaries = targets.map((target) =>
    summarizeRuns(target.name, runs.get(target.name) ?? []),
  );
  return { rounds, summaries };
}

function header(options: BenchOptions): string {
  const cpus = os.cpus();
  const machine = `${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), Node ${process.version}`;
  const shape = `${options.connections} connections, ${options.rounds} rounds x ${options.durationSec} s`;
  return `Warden vs bare @a2a-js/sdk, SendMessage echo on loopback: ${shape}, ${machine}`;
}

function formatRow(f: LoadFigures): string {
  const cells = [
    f.name.padEnd(8),
    Math.round(f.requestsPerSec).toLocaleString('en-US').padStart(8),
    f.p50Ms.toFixed(2).padStart(8),
    f.p99Ms.toFixed(2).padStart(8),
    String(f.failures).padStart(7),
  ];
  return cells.join('  ');
}

function formatReport(summaries: readonly LoadFigures[]): string {
  const columns = ['server'.padEnd(8), 'req/s', 'p50 ms', 'p99 ms', 'errors'];
  const heading = columns.map((c, i) => (i === 0 ? c : c.padStart(i === 4 ? 7 : 8))).join('  ');
  const lines = ['', heading, ...summaries.map(formatRow), '', ...compare(summaries)];

  for (const summary of summaries) lines.push(...warnings(summary));
  return lines.join('\n');
}

function compare(summaries: readonly LoadFigures[]): string[] {
  const [bare, warden] = SERVERS.map((name) => summaries.find((s) => s.name === name));
  if (bare === undefined || warden === undefined) return [];

  const ratio = warden.requestsPerSec / bare.requestsPerSec;
  const added = (a: number, b: number) => `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(2)} ms`;
  return [
    `Warden/bare throughput: ${ratio.toFixed(2)} (${Math.round(ratio * 100)}% of the bare req/s)`,
    `Warden adds p50 ${added(warden.p50Ms, bare.p50Ms)}, p99 ${added(warden.p99Ms, bare.p99Ms)}`,
  ];
}

// A run with errors has measured how fast a server says no: say so where no one can miss it.
function warnings(f: LoadFigures): string[] {
  const lines: string[] = [];
  if (f.failures > 0) {
    const detail = `non-2xx ${f.non2xx}, JSON-RPC errors ${f.jsonRpcErrors}, no response ${f.socketErrors}`;
    lines.push(
      '',
      `!!! ERRORS: ${f.failures} of ${f.responses} ${f.name} requests did not complete (${detail}).`,
      '!!! These figures are NOT a valid benchmark.',
    );
  }
  if (f.clientCpuPercent > CLIENT_CPU_WARNING_PERCENT) {
    const cpu = Math.round(f.clientCpuPercent);
    lines.push(
      `note: autocannon used ${cpu}% of a core against ${f.name}; it may have been the limit.`,
    );
  }
  return lines;
}

function toJson(report: BenchReport, options: BenchOptions): string {
  const cpus = os.cpus();
  const machine = { cpus: cpus.length, cpuModel: cpus[0]?.model.trim(), node: process.version };
  const { jsonFile: _file, ...flags } = options;
  return `${JSON.stringify({ date: new Date().toISOString(), machine, flags, ...report }, null, 2)}\n`;
}

/** A server running in a child process, as the parent sees it. */
interface ChildServer {
  readonly target: LoadTarget;
  close(): Promise<void>;
}

type ChildMessage = { ready: LoadTarget } | { failed: string };

function spawnServer(name: ServerName): Promise<ChildServer> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', name], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });

  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} server exited early (code ${code})`)));
    child.once('message', (message: ChildMessage) => {
      if ('failed' in message) return reject(new Error(`${name} server: ${message.failed}`));
      resolve({ target: message.ready, close: () => stopChild(child) });
    });
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
    child.send('close');
  });
}

/** Child side: start one server, report its target, close it when the parent says so (or dies). */
async function serveForParent(name: string): Promise<number> {
  let running: RunningTarget;
  try {
    running = name === 'warden' ? await startWardenServer() : await startBareServer();
  } catch (error) {
    process.send?.({ failed: error instanceof Error ? error.message : String(error) });
    return 1;
  }

  process.send?.({ ready: running.target });
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.once('disconnect', () => resolve());
  });
  await running.close();
  if (process.connected) process.disconnect();
  return 0;
}

function positiveInteger(flag: string, value: string, minimum = 1): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < minimum) {
    throw new RangeError(`${flag} must be an integer >= ${minimum}, not "${value}"`);
  }
  return parsed;
}

function writeLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
