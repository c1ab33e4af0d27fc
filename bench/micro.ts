import { benchAudit } from './audit.js';
import { benchLimits } from './limits.js';
import { benchPolicy } from './policy.js';
import { benchTokens } from './tokens.js';

/** One group of micro-benchmark figures: a name, its unit, and figures by key. */
export interface MicroGroup {
  readonly name: string;
  readonly unit: string;
  readonly figures: Record<string, number>;
}

/**
 * The micro-benchmarks behind the load figures, one group at a time so they do not compete for
 * the two cores: token verification, Cedar decisions, audit appends, rate-limit and budget checks.
 */
export async function runMicroBenchmarks(write: (line: string) => void): Promise<MicroGroup[]> {
  const plan: [string, string, () => Promise<Record<string, number>>][] = [
    ['token verification', 'ops/s', () => benchTokens()],
    ['Cedar decisions', 'microseconds', () => benchPolicy()],
    ['audit append', 'entries/s (batch: entries per write)', () => benchAudit()],
    ['rate limits and budgets', 'ops/s', () => benchLimits()],
  ];

  const groups: MicroGroup[] = [];
  for (const [name, unit, run] of plan) {
    write(`\n${name} (${unit})`);
    const group = { name, unit, figures: await run() };
    write(formatGroup(group));
    groups.push(group);
  }
  return groups;
}

function formatGroup(group: MicroGroup): string {
  const entries = Object.entries(group.figures);
  const width = Math.max(...entries.map(([key]) => key.length), 10);
  const rows = entries.map(([key, value]) => `  ${key.padEnd(width)}  ${formatNumber(value)}`);
  return rows.join('\n');
}

function formatNumber(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
}
