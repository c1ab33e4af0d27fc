import type { HitRate, LoadFigures } from './figures.js';
import type { Comparison } from './targets.js';

/**
 * The bench's tables as text. Columns have fixed widths, so the lines printed as each run ends
 * line up with the summary printed at the end.
 */

/** Above this, autocannon itself may have been the limit rather than the server. */
const CLIENT_CPU_WARNING_PERCENT = 90;

const HEADINGS = [
  'server',
  'req/s',
  'p50 ms',
  'p99 ms',
  'p99.9 ms',
  'CPU ms/req',
  'RSS MB',
  'token hits',
  'decision hits',
  'errors',
];
const WIDTHS = [16, 8, 8, 8, 9, 10, 7, 10, 13, 7];

/** The heading of {@link formatFigures} rows, after `prefix` (e.g. the round column). */
export function formatHeading(prefix = ''): string {
  return prefix + formatCells(HEADINGS);
}

/** One run's or one server's figures as a row. */
export function formatFigures(f: LoadFigures, prefix = ''): string {
  const cells = [
    f.name,
    formatRate(f.requestsPerSec),
    f.p50Ms.toFixed(2),
    f.p99Ms.toFixed(2),
    f.p999Ms.toFixed(2),
    f.serverCpuMsPerRequest.toFixed(2),
    f.serverRssMb === null ? '-' : f.serverRssMb.toFixed(0),
    formatHitRate(f.tokenCache),
    formatHitRate(f.decisionCache),
    String(f.failures),
  ];
  return prefix + formatCells(cells);
}

/** The summary table: a heading and one row per server. */
export function formatSummary(summaries: readonly LoadFigures[]): string {
  return [formatHeading(), ...summaries.map((summary) => formatFigures(summary))].join('\n');
}

/** Each comparison with its target and whether it was met. */
export function formatComparisons(comparisons: readonly Comparison[]): string[] {
  const width = Math.max(0, ...comparisons.map((c) => c.label.length));

  return comparisons.map((c) => {
    const value = formatValue(c.value, c.unit, true).padStart(10);
    const target = `target ${c.direction} ${formatValue(c.target, c.unit, false)}`.padEnd(20);
    return `${c.label.padEnd(width)}  ${value}   ${target}  ${c.met ? 'met' : 'MISSED'}`;
  });
}

/** Lines of informational comparisons between Warden and the bare server. */
export function formatWardenCosts(bare: LoadFigures, warden: LoadFigures): string[] {
  const cpuRatio = warden.serverCpuMsPerRequest / bare.serverCpuMsPerRequest;
  return [
    `warden adds p50 ${signedMs(warden.p50Ms - bare.p50Ms)}, ` +
      `p99 ${signedMs(warden.p99Ms - bare.p99Ms)} at saturation (mostly queueing)`,
    `warden uses ${cpuRatio.toFixed(1)}x the bare server's CPU per request` +
      ` (${signedMs(warden.serverCpuMsPerRequest - bare.serverCpuMsPerRequest)})`,
  ];
}

/** Whether any rate limit tripped: the bench sets them to count every request, never refuse. */
export function formatRateLimited(summaries: readonly LoadFigures[]): string[] {
  const wardens = summaries.filter((summary) => summary.name.startsWith('warden'));
  const refused = wardens.reduce((total, summary) => total + summary.rateLimited, 0);
  if (wardens.length === 0) return [];

  return refused === 0
    ? ['rate limits: counted on every Warden request, none refused (no 429)']
    : [`!!! rate limits refused ${refused} requests (429): the bench's limits are misconfigured`];
}

/**
 * Warnings no one can miss: a run with errors has measured how fast a server says no; a 429
 * means the bench's limits tripped; a busy load generator may have been the limit.
 */
export function formatWarnings(f: LoadFigures): string[] {
  const lines: string[] = [];
  if (f.failures > 0) {
    const non2xx = `non-2xx ${f.non2xx} (429: ${f.rateLimited})`;
    const detail = `${non2xx}, JSON-RPC errors ${f.jsonRpcErrors}`;
    lines.push(
      '',
      `!!! ERRORS: ${f.failures} ${f.name} requests did not end in a completed task`,
      `!!! (${f.responses} responses; ${detail}; no response at all ${f.socketErrors}).`,
      '!!! These figures are NOT a valid benchmark.',
    );
  }
  if (f.unanswered > 0) {
    lines.push(`note: ${f.unanswered} ${f.name} requests were still queued when the run ended.`);
  }
  if (f.clientCpuPercent > CLIENT_CPU_WARNING_PERCENT) {
    const cpu = Math.round(f.clientCpuPercent);
    lines.push(
      `note: the load generator used ${cpu}% of a core on ${f.name}; it may have been the limit.`,
    );
  }
  return lines;
}

/** Cells padded to the table's widths: the first left-aligned, the rest right-aligned. */
export function formatCells(cells: readonly string[], widths: readonly number[] = WIDTHS): string {
  return cells
    .map((cell, i) => (i === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[i] ?? 0)))
    .join('  ');
}

export function formatRate(perSec: number): string {
  return Math.round(perSec).toLocaleString('en-US');
}

function formatHitRate(rate: HitRate | null): string {
  if (rate === null || rate.hitRate === null) return '-';
  return `${(rate.hitRate * 100).toFixed(1)}%`;
}

function formatValue(value: number, unit: Comparison['unit'], measured: boolean): string {
  if (unit === 'x') return value.toFixed(2);
  if (unit === '%') return `${value.toFixed(1)}%`;
  if (!measured) return `${value} ${unit}`;
  return unit === 'ms' ? signedMs(value) : `${value.toFixed(2)} ${unit}`;
}

function signedMs(ms: number): string {
  return `${ms >= 0 ? '+' : ''}${ms.toFixed(2)} ms`;
}
