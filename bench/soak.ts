import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLoad, type RunningLoad } from './load.js';
import { formatCells, formatRate } from './report.js';
import type { StartedServers } from './servers.js';
import { judgeSoak, type SoakSample, type SoakVerdict } from './soak-verdict.js';
import { TARGETS } from './targets.js';
import type { LoadTarget } from './target.js';

/** What `--soak` runs. */
export interface SoakOptions {
  readonly minutes: number;
  readonly connections: number;
  readonly jsonFile: string | undefined;
}

/** Everything a soak saw, as `--json` writes it. */
export interface SoakReport {
  readonly minutes: number;
  readonly connections: number;
  readonly samples: SoakSample[];
  /** The sample taken as the completed tasks reached `TARGETS.taskMilestone`, if they did. */
  readonly milestone: SoakSample | null;
  readonly tasks: number;
  /** Responses that were not a completed task, plus requests without any answer. */
  readonly failures: number;
  /** How the server process ended before the soak did (`signal SIGSEGV`); null if it did not. */
  readonly crashed: string | null;
  readonly verdict: SoakVerdict;
}

const SAMPLE_EVERY_SEC = 10;
const HEADINGS = ['time', 'tasks', 'req/s', 'RSS MB', 'heap used', 'heap total', 'external MB'];
const WIDTHS = [7, 9, 7, 7, 9, 10, 11];
const MB = 1024 * 1024;

/**
 * `--soak MINUTES`: Warden alone (unique texts, so fresh decisions; audit fsync on) under
 * saturating load for the whole duration, its resident set, heap and throughput sampled every
 * 10 s. Reports the RSS when the completed tasks (all in the embedded store) passed 100,000, the
 * RSS growth after warm-up, and a verdict (`soak-verdict.ts`). Resolves to the exit code: 1 on
 * any failed request or a server crash; a missed target is in the verdict, not the exit code.
 */
export async function runSoak(
  options: SoakOptions,
  start: () => Promise<StartedServers>,
): Promise<number> {
  const servers = await start();
  let report: SoakReport;
  try {
    const [target, child] = [servers.targets[0], servers.children[0]];
    if (target === undefined || child === undefined) throw new Error('soak: no server started');
    report = await soak(target, child.crashed, options);
  } finally {
    await servers.close();
  }

  printSummary(report);
  if (options.jsonFile !== undefined) writeJson(options.jsonFile, report);
  return report.failures > 0 || report.crashed !== null ? 1 : 0;
}

async function soak(
  target: LoadTarget,
  crashed: Promise<string>,
  options: SoakOptions,
): Promise<SoakReport> {
  const durationSec = options.minutes * 60;
  const started = performance.now();
  const samples: SoakSample[] = [];
  let milestone: SoakSample | null = null;

  const load = startLoad(target, { connections: options.connections, durationSec }, (n) => {
    if (n !== TARGETS.taskMilestone) return;
    void sampleNow(target, load, started).then((sample) => {
      milestone = sample;
      writeLine(`${formatSample(sample)}  <- ${n.toLocaleString('en-US')} tasks`);
    }, ignoreGoneServer);
  });
  writeLine(
    `soak: warden, ${options.connections} connections, ${options.minutes} min; ` +
      `a sample every ${SAMPLE_EVERY_SEC} s`,
  );
  writeLine(formatCells(HEADINGS, WIDTHS));

  const stop = new AbortController();
  const sampling = sampleEvery(target, load, started, durationSec, stop.signal, samples);
  const ended = await Promise.race([load.done.then(() => null), crashed.then((how) => how)]);
  stop.abort();
  load.stop();
  await sampling;
  if (ended === null) await record(samples, sampleNow(target, load, started));

  return finish(options, samples, milestone, load, ended);
}

async function sampleEvery(
  target: LoadTarget,
  load: RunningLoad,
  started: number,
  durationSec: number,
  signal: AbortSignal,
  samples: SoakSample[],
): Promise<void> {
  for (let at = SAMPLE_EVERY_SEC; at < durationSec; at += SAMPLE_EVERY_SEC) {
    const waitMs = started + at * 1000 - performance.now();
    try {
      await sleep(Math.max(0, waitMs), undefined, { signal });
    } catch {
      return;
    }
    if (!(await record(samples, sampleNow(target, load, started)))) return;
  }
}

// Prints and keeps a sample; false when the server could not be sampled (it is gone).
async function record(samples: SoakSample[], next: Promise<SoakSample>): Promise<boolean> {
  let sample: SoakSample;
  try {
    sample = await next;
  } catch {
    return false;
  }
  const previous = samples.at(-1);
  const seconds = sample.elapsedSec - (previous?.elapsedSec ?? 0);
  const withRate = { ...sample, requestsPerSec: (sample.tasks - (previous?.tasks ?? 0)) / seconds };
  samples.push(withRate);
  writeLine(formatSample(withRate));
  return true;
}

async function sampleNow(
  target: LoadTarget,
  load: RunningLoad,
  started: number,
): Promise<SoakSample> {
  const tasks = load.live.completed;
  const elapsedSec = (performance.now() - started) / 1000;
  const server = await target.readSample?.();
  if (server === undefined) throw new Error('soak: the server cannot be sampled');

  return {
    elapsedSec,
    tasks,
    requestsPerSec: Number.NaN,
    rssMb: server.rssBytes / MB,
    heapUsedMb: server.heapUsedBytes / MB,
    heapTotalMb: server.heapTotalBytes / MB,
    externalMb: server.externalBytes / MB,
  };
}

async function finish(
  options: SoakOptions,
  samples: SoakSample[],
  milestone: SoakSample | null,
  load: RunningLoad,
  crashed: string | null,
): Promise<SoakReport> {
  // Stopped or not, autocannon settles with what it counted.
  const { result } = await load.done;
  const failures = result.mismatches + result.errors;
  const tasks = load.live.completed;
  const verdict = judgeSoak({
    minutes: options.minutes,
    samples,
    milestone,
    tasks,
    failures,
    crashed,
  });

  return {
    minutes: options.minutes,
    connections: options.connections,
    samples,
    milestone,
    tasks,
    failures,
    crashed,
    verdict,
  };
}

function printSummary(report: SoakReport): void {
  const mean = report.tasks / Math.max(1, report.samples.at(-1)?.elapsedSec ?? 1);
  writeLine(
    `\n${report.tasks.toLocaleString('en-US')} tasks completed ` +
      `(${formatRate(mean)} req/s on average), ${report.failures} failed requests`,
  );
  if (report.crashed !== null) writeLine(`!!! the server crashed: ${report.crashed}`);
  for (const line of report.verdict.lines) writeLine(line);
  writeLine(report.verdict.summary);
}

function formatSample(sample: SoakSample): string {
  const seconds = Math.round(sample.elapsedSec);
  const time = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  const cells = [
    time,
    sample.tasks.toLocaleString('en-US'),
    Number.isNaN(sample.requestsPerSec) ? '-' : formatRate(sample.requestsPerSec),
    sample.rssMb.toFixed(1),
    sample.heapUsedMb.toFixed(1),
    sample.heapTotalMb.toFixed(1),
    sample.externalMb.toFixed(1),
  ];
  return formatCells(cells, WIDTHS);
}

// A server that cannot be sampled has crashed, which the soak reports from its exit.
function ignoreGoneServer(): void {}

function writeJson(file: string, report: SoakReport): void {
  const document = { date: new Date().toISOString(), node: process.version.slice(1), soak: report };
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
}

function writeLine(text: string): void {
  process.stdout.write(`${text}\n`);
}
