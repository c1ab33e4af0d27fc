import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  assertEchoCompletes,
  runLoad,
  summarizeRuns,
  type LoadFigures,
  type LoadResult,
  type LoadTarget,
  type RunningTarget,
} from './load.js';
import { runMicroBenchmarks, type MicroGroup } from './micro.js';

/**
 * `npm run bench`: the echo skill on the bare `@a2a-js/sdk` server and on Warden, each server in
 * its own child process so neither shares an event loop with autocannon, driven in alternating
 * order round after round, then the micro-benchmarks (token verification, Cedar decisions, audit
 * appends, limits). Flags: --connections 20, --duration 10 (s), --rounds 2, --warmup 2 (s),
 * --skip-micro, --json FILE.
 */

/**
 * The servers compared, in the order of the first round; the baseline first. `warden-nofsync` is
 * Warden with `audit.fsync: false`, to price the durable audit append.
 */
const SERVERS = ['bare', 'warden', 'warden-nofsync'] as const;
type ServerName = (typeof SERVERS)[number];

/**
 * autocannon drops its connections at the end of a run with requests still in flight; the servers
 * go on executing those tasks. Warden's `close()` does not wait for the SDK's background event
 * processing, so closing at once makes that work fail against a closed store (noise on stderr,
 * not in the figures). A short pause lets it finish first.
 */
const SETTLE_MS = 1000;

/** Above this, autocannon itself may have been the limit rather than the server. */
const CLIENT_CPU_WARNING_PERCENT = 90;

interface BenchOptions {
  connections: number;
  durationSec: number;
  rounds: number;
  warmupSec: number;
  skipMicro: boolean;
  jsonFile: string | undefined;
}

interface BenchReport {
  rounds: (LoadFigures & { round: number })[];
  summaries: LoadFigures[];
  micro?: MicroGroup[];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '20' },
      duration: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '2' },
      warmup: { type: 'string', default: '2' },
      'skip-micro': { type: 'boolean', default: false },
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
    skipMicro: values['skip-micro'],
    jsonFile: values.json,
  });
}

async function benchmark(options: BenchOptions): Promise<number> {
  const report = await measureLoad(options);
  if (!options.skipMicro) report.micro = await runMicroBenchmarks(writeLine);

  if (options.jsonFile !== undefined) writeFileSync(options.jsonFile, toJson(report, options));
  return report.summaries.some((summary) => summary.failures > 0) ? 1 : 0;
}

async function measureLoad(options: BenchOptions): Promise<BenchReport> {
  const children = await spawnServers();
  try {
    const targets = children.map((child) => child.target);
    for (const target of targets) await assertEchoCompletes(target);

    writeLine(header(options));
    const report = await measure(targets, options);
    writeLine(formatReport(report.summaries));
    return report;
  } finally {
    await sleep(SETTLE_MS);
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
  const { cpus, cpuModel, node } = machine();
  const shape = `${options.connections} connections, ${options.rounds} x ${options.durationSec} s`;
  const host = `${cpus} CPUs (${cpuModel}), Node ${node}`;
  return `Warden vs bare @a2a-js/sdk, echo over loopback: ${shape}, ${host}`;
}

function machine() {
  const cpus = os.cpus();
  const cpuModel = cpus[0]?.model.trim() ?? 'unknown';
  return { cpus: cpus.length, cpuModel, node: process.version.slice(1) };
}

const COLUMN_WIDTHS = [14, 8, 8, 8, 10, 7];

function formatCells(cells: readonly string[]): string {
  return cells
    .map((cell, i) =>
      i === 0 ? cell.padEnd(COLUMN_WIDTHS[0] ?? 0) : cell.padStart(COLUMN_WIDTHS[i] ?? 0),
    )
    .join('  ');
}

function formatRow(f: LoadFigures): string {
  const rate = Math.round(f.requestsPerSec).toLocaleString('en-US');
  const latency = [f.p50Ms.toFixed(2), f.p99Ms.toFixed(2)];
  const cpu = f.serverCpuMsPerRequest.toFixed(2);
  return formatCells([f.name, rate, ...latency, cpu, String(f.failures)]);
}

function formatReport(summaries: readonly LoadFigures[]): string {
  const heading = formatCells(['server', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/req', 'errors']);
  const lines = ['', heading, ...summaries.map(formatRow), '', ...compare(summaries)];

  for (const summary of summaries) lines.push(...warnings(summary));
  return lines.join('\n');
}

function compare(summaries: readonly LoadFigures[]): string[] {
  const [bare, warden, noFsync] = SERVERS.map((name) => summaries.find((s) => s.name === name));
  if (bare === undefined || warden === undefined) return [];
  const fsyncLine = noFsync
    ? [`audit fsync costs ${percentLess(warden, noFsync)}% of Warden's throughput (on vs off)`]
    : [];

  const ratio = warden.requestsPerSec / bare.requestsPerSec;
  const added = (a: number, b: number) => `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(2)} ms`;
  const cpuRatio = warden.serverCpuMsPerRequest / bare.serverCpuMsPerRequest;
  return [
    `Warden/bare throughput: ${ratio.toFixed(2)} (${Math.round(ratio * 100)}% of the bare req/s)`,
    `Warden adds p50 ${added(warden.p50Ms, bare.p50Ms)}, p99 ${added(warden.p99Ms, bare.p99Ms)}`,
    `Warden uses ${cpuRatio.toFixed(1)}x the bare server's CPU per request` +
      ` (${added(warden.serverCpuMsPerRequest, bare.serverCpuMsPerRequest)})`,
    ...fsyncLine,
  ];
}

function percentLess(slower: LoadFigures, faster: LoadFigures): string {
  return ((1 - slower.requestsPerSec / faster.requestsPerSec) * 100).toFixed(1);
}

// A run with errors has measured how fast a server says no: say so where no one can miss it.
function warnings(f: LoadFigures): string[] {
  const lines: string[] = [];
  if (f.failures > 0) {
    const detail = `non-2xx ${f.non2xx}, JSON-RPC errors ${f.jsonRpcErrors}`;
    lines.push(
      '',
      `!!! ERRORS: ${f.failures} ${f.name} requests did not end in a completed task`,
      `!!! (${f.responses} responses; ${detail}; no response at all ${f.socketErrors}).`,
      '!!! These figures are NOT a valid benchmark.',
    );
  }
  if (f.clientCpuPercent > CLIENT_CPU_WARNING_PERCENT) {
    const cpu = Math.round(f.clientCpuPercent);
    lines.push(`note: autocannon used ${cpu}% of a core on ${f.name}; it may have been the limit.`);
  }
  return lines;
}

function toJson(report: BenchReport, options: BenchOptions): string {
  const { jsonFile: _file, ...flags } = options;
  const document = { date: new Date().toISOString(), machine: machine(), flags, ...report };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** A server running in a child process, as the parent sees it. */
interface ChildServer {
  readonly target: LoadTarget;
  close(): Promise<void>;
}

type ChildMessage = { ready: LoadTarget } | { failed: string };

// If one server fails to start, the other is stopped: its IPC channel would keep this process up.
async function spawnServers(): Promise<ChildServer[]> {
  const settled = await Promise.allSettled(SERVERS.map((name) => spawnServer(name)));
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));

  const failure = settled.find((s) => s.status === 'rejected');
  if (failure === undefined) return started;

  await Promise.all(started.map((child) => child.close()));
  throw failure.reason;
}

function spawnServer(name: ServerName): Promise<ChildServer> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', name], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });

  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} server exited early (code ${code})`)));
    child.once('message', (message: ChildMessage) => {
      if ('failed' in message) return reject(new Error(`${name} server: ${message.failed}`));
      const target = { ...message.ready, readCpuUs: () => readChildCpu(child) };
      resolve({ target, close: () => stopChild(child) });
    });
  });
}

function readChildCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (message: { cpuUs: number }) => resolve(message.cpuUs));
    child.send('cpu');
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
    // Imported here so that each process loads only the server it runs.
    running = name.startsWith('warden')
      ? await (
          await import('./warden-server.js')
        ).startWardenServer({
          name,
          auditFsync: name !== 'warden-nofsync',
        })
      : await (await import('./bare-server.js')).startBareServer();
  } catch (error) {
    process.send?.({ failed: error instanceof Error ? error.message : String(error) });
    return 1;
  }

  process.send?.({ ready: running.target });
  await new Promise<void>((resolve) => {
    process.on('message', (message) => {
      if (message === 'close') return resolve();
      const { user, system } = process.cpuUsage();
      process.send?.({ cpuUs: user + system });
    });
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
