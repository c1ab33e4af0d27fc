import { formatComparisons } from './report.js';
import { atMost, TARGETS, type Comparison } from './targets.js';

/** The server's state at one instant of a soak. */
export interface SoakSample {
  /** Seconds since the load started. */
  readonly elapsedSec: number;
  /** Completed tasks so far, as the load generator counted them. */
  readonly tasks: number;
  /** Completed tasks per second since the previous sample; NaN for an extra sample. */
  readonly requestsPerSec: number;
  readonly rssMb: number;
  readonly heapUsedMb: number;
  /** What V8 holds for its heap: RSS beyond it is code, WebAssembly memory and C++ allocations. */
  readonly heapTotalMb: number;
  /** `process.memoryUsage().external`: outside the JS heap, yet known to V8. */
  readonly externalMb: number;
}

/** What {@link judgeSoak} looks at. */
export interface SoakOutcome {
  readonly minutes: number;
  readonly samples: readonly SoakSample[];
  readonly milestone: SoakSample | null;
  readonly tasks: number;
  readonly failures: number;
  readonly crashed: string | null;
}

/** The soak's findings against the targets. */
export interface SoakVerdict {
  readonly passed: boolean;
  /** The first sample at or after the warm-up, which growth is measured from. */
  readonly baseline: SoakSample | null;
  /** RSS at the last sample minus RSS at the baseline, in MB. */
  readonly rssGrowthMb: number | null;
  readonly heapGrowthMb: number | null;
  /** Least-squares slope of RSS over the second half of the soak, in MB per minute. */
  readonly rssSlopeMbPerMin: number | null;
  readonly comparisons: Comparison[];
  /** What to print, line by line, before {@link summary}. */
  readonly lines: string[];
  /** One line: PASS or FAIL and why. */
  readonly summary: string;
}

/** The warm-up after which growth counts: a minute, or a fifth of a shorter soak. */
const MAX_WARMUP_SEC = 60;

/** Below this, two samples in the second half are a line through noise: say so. */
const SHORT_SOAK_MINUTES = 5;

/**
 * Judges a soak: no failed request and no crash; RSS at most `TARGETS.rssMbAtTasks` when the
 * tasks passed `TARGETS.taskMilestone` (not judged when they did not); RSS not growing, read as
 * a least-squares slope over the second half of at most `TARGETS.rssSlopeMbPerMin`. A slope and
 * not the first and last samples: RSS moves with each GC, one sample can land on either side.
 */
export function judgeSoak(outcome: SoakOutcome): SoakVerdict {
  const durationSec = outcome.minutes * 60;
  const warmupSec = Math.min(MAX_WARMUP_SEC, durationSec / 5);
  // A second's slack: the sample due at the warm-up's end may be read a hair before it.
  const baseline = outcome.samples.find((s) => s.elapsedSec >= warmupSec - 1) ?? null;
  const last = outcome.samples.at(-1) ?? null;
  const secondHalf = outcome.samples.filter((s) => s.elapsedSec >= durationSec / 2);
  const slope = slopePerMinute(secondHalf);

  const comparisons: Comparison[] = [];
  const lines: string[] = [];
  if (outcome.milestone !== null) {
    comparisons.push(
      atMost(
        `RSS at ${milestoneText()} tasks`,
        outcome.milestone.rssMb,
        'MB',
        TARGETS.rssMbAtTasks,
      ),
    );
  } else {
    lines.push(milestoneMissed(outcome));
  }
  if (slope !== null) {
    comparisons.push(atMost('RSS slope, second half', slope, 'MB/min', TARGETS.rssSlopeMbPerMin));
  }
  if (outcome.minutes < SHORT_SOAK_MINUTES) {
    lines.push(`note: under ${SHORT_SOAK_MINUTES} minutes the slope is indicative only.`);
  }

  const growth = baseline && last && describeGrowth(baseline, last);
  if (growth) lines.unshift(growth.line);
  lines.unshift(...formatComparisons(comparisons));

  const clean = outcome.failures === 0 && outcome.crashed === null;
  const passed = clean && comparisons.every((c) => c.met);
  return {
    passed,
    baseline,
    rssGrowthMb: growth?.rssMb ?? null,
    heapGrowthMb: growth?.heapMb ?? null,
    rssSlopeMbPerMin: slope,
    comparisons,
    lines,
    summary: summaryLine(outcome, passed, comparisons),
  };
}

function describeGrowth(baseline: SoakSample, last: SoakSample) {
  const rssMb = last.rssMb - baseline.rssMb;
  const heapMb = last.heapUsedMb - baseline.heapUsedMb;
  const from = `${Math.round(baseline.elapsedSec)} s`;
  const line =
    `RSS ${baseline.rssMb.toFixed(1)} MB at ${from} -> ${last.rssMb.toFixed(1)} MB at the end ` +
    `(${signed(rssMb)} MB); heap used ${signed(heapMb)} MB`;
  return { rssMb, heapMb, line };
}

function milestoneMissed(outcome: SoakOutcome): string {
  const rate = outcome.tasks / Math.max(1, outcome.minutes * 60);
  const needed = Math.ceil(TARGETS.taskMilestone / rate / 60);
  return (
    `${milestoneText()} tasks not reached: ${outcome.tasks.toLocaleString('en-US')} in ` +
    `${outcome.minutes} min at ${rate.toFixed(0)} req/s (about ${needed} min needed); ` +
    'RSS not judged there'
  );
}

function summaryLine(
  outcome: SoakOutcome,
  passed: boolean,
  comparisons: readonly Comparison[],
): string {
  const problems = [
    ...(outcome.crashed === null ? [] : [`server crashed (${outcome.crashed})`]),
    ...(outcome.failures === 0 ? [] : [`${outcome.failures} failed requests`]),
    ...comparisons.filter((c) => !c.met).map((c) => `${c.label} missed`),
  ];
  if (passed) return 'soak verdict: PASS (no failed request, no crash, targets met)';
  return `soak verdict: FAIL (${problems.join('; ')})`;
}

/** Least-squares slope of RSS against time, in MB per minute; null under two samples. */
function slopePerMinute(samples: readonly SoakSample[]): number | null {
  if (samples.length < 2) return null;

  const xs = samples.map((s) => s.elapsedSec / 60);
  const ys = samples.map((s) => s.rssMb);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const [mx, my] = [mean(xs), mean(ys)];
  const covariance = xs.reduce((sum, x, i) => sum + (x - mx) * ((ys[i] ?? my) - my), 0);
  const variance = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  return variance === 0 ? null : covariance / variance;
}

function milestoneText(): string {
  return TARGETS.taskMilestone.toLocaleString('en-US');
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}
