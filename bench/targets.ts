import type { LoadFigures } from './figures.js';

/**
 * Warden's performance targets (issue #7), each next to the figure it applies to in the report.
 * A missed target is reported, not fatal: the exit code speaks only of failed requests.
 */
export const TARGETS = {
  /** Full pipeline, every Cedar decision fresh: at least this share of the bare req/s. */
  freshThroughputRatio: 0.75,
  /** Full pipeline, decisions repeating (cache hits): at least this share of the bare req/s. */
  repeatThroughputRatio: 0.9,
  /** Durable audit appends may cost at most this share of Warden's req/s, in percent. */
  fsyncCostPercent: 10,
  /** Most p99 latency Warden may add at 70% of the bare server's saturation rate, in ms. */
  addedP99Ms: 2,
  /** The fixed-rate runs ask for this share of the bare server's saturated req/s. */
  fixedRateShareOfBare: 0.7,
  /** Most resident memory after this many tasks in the embedded store, in MB. */
  rssMbAtTasks: 200,
  taskMilestone: 100_000,
  /** Most RSS growth over a soak's second half, in MB per minute: "no growth", with GC noise. */
  rssSlopeMbPerMin: 1,
} as const;

/** One figure checked against its target. */
export interface Comparison {
  readonly label: string;
  readonly value: number;
  /** How the value prints: a ratio, a percentage or milliseconds. */
  readonly unit: 'x' | '%' | 'ms' | 'MB' | 'MB/min';
  readonly direction: '>=' | '<=';
  readonly target: number;
  readonly met: boolean;
}

/** The saturated runs' figures checked against the throughput and fsync targets. */
export function compareSaturated(summaries: readonly LoadFigures[]): Comparison[] {
  const find = (name: string) => summaries.find((summary) => summary.name === name);
  const bare = find('bare');
  const warden = find('warden');
  const repeat = find('warden-repeat');
  const noFsync = find('warden-nofsync');
  const comparisons: Comparison[] = [];

  if (bare && warden) {
    comparisons.push(
      atLeast('warden/bare req/s', ratio(warden, bare), TARGETS.freshThroughputRatio),
    );
  }
  if (bare && repeat) {
    comparisons.push(
      atLeast('warden-repeat/bare req/s', ratio(repeat, bare), TARGETS.repeatThroughputRatio),
    );
  }
  if (warden && noFsync) {
    const cost = (1 - ratio(warden, noFsync)) * 100;
    comparisons.push(
      atMost('audit fsync cost, warden vs warden-nofsync', cost, '%', TARGETS.fsyncCostPercent),
    );
  }
  return comparisons;
}

/** Warden's added p99 at a fixed rate, checked against its target. */
export function compareAddedP99(bare: LoadFigures, warden: LoadFigures): Comparison {
  return atMost('added p99, warden - bare', warden.p99Ms - bare.p99Ms, 'ms', TARGETS.addedP99Ms);
}

function ratio(a: LoadFigures, b: LoadFigures): number {
  return a.requestsPerSec / b.requestsPerSec;
}

/** A comparison that passes when `value >= target`. */
export function atLeast(label: string, value: number, target: number): Comparison {
  return { label, value, unit: 'x', direction: '>=', target, met: value >= target };
}

/** A comparison that passes when `value <= target`. */
export function atMost(
  label: string,
  value: number,
  unit: Comparison['unit'],
  target: number,
): Comparison {
  return { label, value, unit, direction: '<=', target, met: value <= target };
}
