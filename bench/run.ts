import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchTokens } from './bench-idp.js';
import { SERVER_NAMES, type ServerName } from './children.js';
import {
  measureFixedRate,
  measureSaturated,
  type FixedRateReport,
  type SaturatedReport,
} from './compare.js';
import type { LoadFigures } from './figures.js';
import { runMicroBenchmarks, type MicroGroup } from './micro.js';
import {
  formatComparisons,
  formatRateLimited,
  formatSummary,
  formatWardenCosts,
  formatWarnings,
} from './report.js';
import { startServers } from './servers.js';
import { runSoak } from './soak.js';
import { compareSaturated, type Comparison } from './targets.js';
import type { LoadTarget } from './target.js';

/**
 * `npm run bench`: the echo skill on the bare `@a2a-js/sdk` server and on Warden with its whole
 * pipeline (`bench/children.ts` lists the four servers), each server in its own child process so
 * none shares an event loop with the load generator. First every server is driven to saturation
 * by autocannon, round after round in alternating order; then bare and Warden at one fixed rate,
 * 70% of the bare server's; then the micro-benchmarks (token verification, Cedar decisions, audit
 * appends, limits). `--soak [MINUTES]` runs the soak instead (`bench/soak.ts`).
 *
 * Flags: --servers bare,warden,warden-repeat,warden-nofsync, --connections 20, --duration 10 (s),
 * --rounds 2, --warmup 2 (s), --skip-micro, --json FILE, --soak [MINUTES].
 */

/** Minted tokens outlive any benchmark run; a soak asks for its own duration plus this. */
const TOKEN_TTL_SEC = 3600;
const SOAK_DEFAULT_MINUTES = 10;
const SOAK_MAX_MINUTES = 24 * 60;

interface BenchOptions {
  servers: ServerName[];
  connections: number;
  durationSec: number;
  rounds: number;
  warmupSec: number;
  skipMicro: boolean;
  jsonFile: string | undefined;
}

interface BenchReport extends SaturatedReport {
  setup: { startMs: number; tokens: number; agents: number; tokenMintMs: number };
  comparisons: Comparison[];
  fixedRate?: FixedRateReport;
  micro?: MicroGroup[];
}

/** The child processes' entry point: `serve.js` beside this file (`serve.ts` under tsx). */
const SERVE_SCRIPT = fileURLToPath(
  new URL(`./serve${path.extname(import.meta.filename)}`, import.meta.url),
);

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: withDefaultSoak(process.argv.slice(2)),
    options: {
      servers: { type: 'string', default: SERVER_NAMES.join(',') },
      connections: { type: 'string', default: '20' },
      duration: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '2' },
      warmup: { type: 'string', default: '2' },
      'skip-micro': { type: 'boolean', default: false },
      json: { type: 'string' },
      soak: { type: 'string' },
    },
  });

  const connections = positiveInteger('--connections', values.connections);
  if (values.soak !== undefined) {
    const minutes = positiveInteger('--soak', values.soak, 1, SOAK_MAX_MINUTES);
    const soak = { minutes, connections, jsonFile: values.json };
    return runSoak(soak, () =>
      startServers(['warden'], SERVE_SCRIPT, minutes * 60 + TOKEN_TTL_SEC),
    );
  }

  return benchmark({
    servers: serverNames(values.servers),
    connections,
    durationSec: positiveInteger('--duration', values.duration),
    rounds: positiveInteger('--rounds', values.rounds),
    warmupSec: positiveInteger('--warmup', values.warmup, 0),
    skipMicro: values['skip-micro'],
    jsonFile: values.json,
  });
}

async function benchmark(options: BenchOptions): Promise<number> {
  const started = Date.now();
  const report = await measureLoad(options);
  writeLine(`\nservers started, driven and stopped in ${secondsSince(started)}`);
  if (!options.skipMicro) {
    report.micro = await runMicroBenchmarks(writeLine);
    writeLine(`\nwhole run, micro-benchmarks included: ${secondsSince(started)}`);
  }

  if (options.jsonFile !== undefined) writeFileSync(options.jsonFile, toJson(report, options));
  const failed = [...report.summaries, ...(report.fixedRate?.runs ?? [])];
  return failed.some((figures) => figures.failures > 0) ? 1 : 0;
}

async function measureLoad(options: BenchOptions): Promise<BenchReport> {
  const servers = await startServers(options.servers, SERVE_SCRIPT, TOKEN_TTL_SEC);
  try {
    const { targets, tokens } = servers;
    const setup = { startMs: servers.startMs, ...setupOf(tokens) };
    writeLine(setupLine(setup));

    writeLine(header(options));
    const saturated = await measureSaturated(targets, options, writeLine);
    const comparisons = compareSaturated(saturated.summaries);
    const report = { ...saturated, setup, comparisons };
    printSaturated(report);

    const fixedRate = await measureFixedRateIfBoth(targets, saturated.summaries, options);
    return fixedRate === undefined ? report : { ...report, fixedRate };
  } finally {
    await servers.close();
  }
}

function printSaturated(report: Omit<BenchReport, 'fixedRate'>): void {
  const bare = report.summaries.find((s) => s.name === 'bare');
  const warden = report.summaries.find((s) => s.name === 'warden');

  writeLine(`\n${formatSummary(report.summaries)}\n`);
  for (const line of formatComparisons(report.comparisons)) writeLine(line);
  if (bare && warden) for (const line of formatWardenCosts(bare, warden)) writeLine(line);
  for (const line of formatRateLimited(report.summaries)) writeLine(line);
  for (const summary of report.summaries)
    for (const line of formatWarnings(summary)) writeLine(line);
}

async function measureFixedRateIfBoth(
  targets: readonly LoadTarget[],
  summaries: readonly LoadFigures[],
  options: BenchOptions,
): Promise<FixedRateReport | undefined> {
  const find = <T extends { name: string }>(items: readonly T[], name: string) =>
    items.find((item) => item.name === name);
  const [bare, warden] = [find(targets, 'bare'), find(targets, 'warden')];
  const bareRate = find(summaries, 'bare')?.requestsPerSec;
  if (bare === undefined || warden === undefined || bareRate === undefined) return undefined;

  return measureFixedRate(bare, warden, bareRate, options, writeLine);
}

function setupOf(tokens: BenchTokens) {
  return { tokens: tokens.tokens.length, agents: tokens.agentCount, tokenMintMs: tokens.mintMs };
}

function setupLine(setup: BenchReport['setup']): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return (
    `dev IdP (in this process): ${setup.tokens} ES256 tokens for ${setup.agents} agents minted` +
    ` in ${seconds(setup.tokenMintMs)}; servers started and checked in ${seconds(setup.startMs)}`
  );
}

function header(options: BenchOptions): string {
  const { cpus, cpuModel, node } = machine();
  const shape = `${options.connections} connections, ${options.rounds} x ${options.durationSec} s`;
  const host = `${cpus} CPUs (${cpuModel}), Node ${node}`;
  return `\nWarden vs bare @a2a-js/sdk, echo over loopback: ${shape}, ${host}`;
}

function machine() {
  const cpus = os.cpus();
  const cpuModel = cpus[0]?.model.trim() ?? 'unknown';
  return { cpus: cpus.length, cpuModel, node: process.version.slice(1) };
}

function toJson(report: BenchReport, options: BenchOptions): string {
  const { jsonFile: _file, ...flags } = options;
  const document = { date: new Date().toISOString(), machine: machine(), flags, ...report };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function serverNames(list: string): ServerName[] {
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !(SERVER_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new RangeError(`--servers must list some of ${SERVER_NAMES.join(', ')}, not "${list}"`);
  }
  return [...new Set(names)] as ServerName[];
}

// `--soak` alone means the default duration; parseArgs would take the next flag as its value.
function withDefaultSoak(args: readonly string[]): string[] {
  return args.flatMap((arg, i) => {
    const next = args[i + 1];
    const bare = arg === '--soak' && (next === undefined || next.startsWith('--'));
    return bare ? [arg, String(SOAK_DEFAULT_MINUTES)] : [arg];
  });
}

function positiveInteger(flag: string, value: string, minimum = 1, maximum = Infinity): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < minimum || parsed > maximum) {
    const range = maximum === Infinity ? `>= ${minimum}` : `${minimum}..${maximum}`;
    throw new RangeError(`${flag} must be an integer ${range}, not "${value}"`);
  }
  return parsed;
}

function secondsSince(startedMs: number): string {
  return `${((Date.now() - startedMs) / 1000).toFixed(0)} s`;
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
