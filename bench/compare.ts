import { summarizeRuns, type LoadFigures, type LoadResult } from './figures.js';
import { runLoad } from './load.js';
import { runPacedLoad } from './paced-load.js';
import {
  formatComparisons,
  formatFigures,
  formatHeading,
  formatRate,
  formatWarnings,
} from './report.js';
import { compareAddedP99, TARGETS, type Comparison } from './targets.js';
import type { LoadTarget } from './target.js';

/** How the servers are driven. */
export interface CompareOptions {
  readonly connections: number;
  readonly durationSec: number;
  readonly rounds: number;
  readonly warmupSec: number;
}

/** The saturated runs: every round's figures, and each server's over all rounds. */
export interface SaturatedReport {
  readonly rounds: (LoadFigures & { round: number })[];
  readonly summaries: LoadFigures[];
}

/** The fixed-rate runs: bare and Warden at 70% of the bare server's saturated req/s. */
export interface FixedRateReport {
  readonly ratePerSec: number;
  readonly shareOfBare: number;
  readonly durationSec: number;
  readonly connections: number;
  /** Bare's, then Warden's. */
  readonly runs: LoadFigures[];
  /** Warden's p99 minus bare's, against its target. */
  readonly addedP99: Comparison;
}

/** A fixed-rate run that answered less than this share of the rate asked could not keep it. */
const KEPT_RATE_SHARE = 0.95;

/**
 * Drives every target to saturation, round after round, each round in alternating order, after
 * an unmeasured warm-up of each; prints one line per run as it ends.
 */
export async function measureSaturated(
  targets: readonly LoadTarget[],
  options: CompareOptions,
  write: (line: string) => void,
): Promise<SaturatedReport> {
  const load = { connections: options.connections, durationSec: options.durationSec };
  const runs = new Map<string, LoadResult[]>(targets.map((target) => [target.name, []]));
  const rounds: SaturatedReport['rounds'] = [];

  if (options.warmupSec > 0) {
    write(`warming up each server for ${options.warmupSec} s (not measured)`);
    for (const target of targets)
      await runLoad(target, { ...load, durationSec: options.warmupSec });
  }

  write(formatHeading('round  '));
  for (let round = 1; round <= options.rounds; round += 1) {
    // Alternating the order cancels out drift (JIT, heap growth, CPU clock) between the servers.
    const ordered = round % 2 === 1 ? targets : [...targets].reverse();
    for (const target of ordered) {
      const result = await runLoad(target, load);
      runs.get(target.name)?.push(result);
      rounds.push({ ...result.figures, round });
      write(formatFigures(result.figures, `${String(round).padEnd(5)}  `));
    }
  }

  const summaries = targets.map((target) =>
    summarizeRuns(target.name, runs.get(target.name) ?? []),
  );
  return { rounds, summaries };
}

/**
 * Drives bare and Warden, one after the other, at one fixed rate: `TARGETS.fixedRateShareOfBare`
 * of the bare server's saturated req/s, paced evenly (`runPacedLoad`), so that latency is
 * measured below saturation, where queueing no longer hides what a request costs.
 */
export async function measureFixedRate(
  bare: LoadTarget,
  warden: LoadTarget,
  bareSaturatedPerSec: number,
  options: CompareOptions,
  write: (line: string) => void,
): Promise<FixedRateReport> {
  const shareOfBare = TARGETS.fixedRateShareOfBare;
  const ratePerSec = Math.max(1, Math.round(bareSaturatedPerSec * shareOfBare));
  const paced = { ratePerSec, durationSec: options.durationSec, connections: options.connections };

  write(
    `\nfixed rate: ${formatRate(ratePerSec)} req/s (${shareOfBare * 100}% of bare's ` +
      `${formatRate(bareSaturatedPerSec)}), evenly paced, at most ${options.connections} ` +
      `connections, ${options.durationSec} s each; latency from when each request was due`,
  );
  write(formatHeading());
  const runs: LoadFigures[] = [];
  for (const target of [bare, warden]) {
    const { figures } = await runPacedLoad(target, paced);
    runs.push(figures);
    write(formatFigures(figures));
  }

  const [bareRun, wardenRun] = runs as [LoadFigures, LoadFigures];
  const addedP99 = compareAddedP99(bareRun, wardenRun);
  for (const line of ['', ...formatComparisons([addedP99]), ...notes(runs, ratePerSec)])
    write(line);
  return { ...paced, shareOfBare, runs, addedP99 };
}

// A run that could not keep the rate measured its own backlog, not a request's cost: say so.
function notes(runs: readonly LoadFigures[], ratePerSec: number): string[] {
  const behind = runs.filter((run) => run.requestsPerSec < ratePerSec * KEPT_RATE_SHARE);
  const lines = behind.map(
    (run) =>
      `${run.name} answered ${formatRate(run.requestsPerSec)} of the ${formatRate(ratePerSec)}` +
      ' req/s asked: it could not keep the rate, so its latency above is a growing backlog.',
  );
  return [...lines, ...runs.flatMap(formatWarnings)];
}
