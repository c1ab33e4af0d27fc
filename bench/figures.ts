import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { HitCounts, LoadTarget, ServerSample } from './target.js';

/** Lookups of one cache over a run, and the share that hit. */
export interface HitRate extends HitCounts {
  /** hits / (hits + misses); null when there was no lookup. */
  readonly hitRate: number | null;
}

/** What one run measured. Every request that did not end in a completed task is a failure. */
export interface LoadFigures {
  readonly name: string;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly responses: number;
  /** Responses that were not a completed task (non-2xx and JSON-RPC errors included). */
  readonly notCompleted: number;
  readonly non2xx: number;
  /** 429 answers: the bench's limits are set never to trip, so any is a misconfiguration. */
  readonly rateLimited: number;
  readonly jsonRpcErrors: number;
  /** Connection errors and timeouts: no response at all. */
  readonly socketErrors: number;
  /** Non-completed responses and socket errors. */
  readonly failures: number;
  /**
   * Requests still waiting when a fixed-rate run ended and cut off: the backlog of a server that
   * could not keep the rate, which is a finding, not a failure. Always 0 at saturation.
   */
  readonly unanswered: number;
  /** CPU the load generator used, in percent of one core; near 100 means it was the bottleneck. */
  readonly clientCpuPercent: number;
  /** CPU time the server used during the run, in ms; NaN when it cannot be read. */
  readonly serverCpuMs: number;
  /** {@link serverCpuMs} per response. */
  readonly serverCpuMsPerRequest: number;
  /** The server's resident set at the end of the run, in MB; null when it cannot be read. */
  readonly serverRssMb: number | null;
  /** Warden's verified-token cache over the run; null for a server without one. */
  readonly tokenCache: HitRate | null;
  /** Warden's Cedar decision cache over the run; null for a server without one. */
  readonly decisionCache: HitRate | null;
}

/** One run's figures and its latency histogram (microseconds), which rounds can merge. */
export interface LoadResult {
  readonly figures: LoadFigures;
  readonly latencyUs: RecordableHistogram;
}

/** What a load driver counted in one run. */
export interface RunCounts {
  readonly requestsPerSec: number;
  readonly responses: number;
  readonly notCompleted: number;
  readonly non2xx: number;
  readonly rateLimited: number;
  readonly jsonRpcErrors: number;
  readonly socketErrors: number;
  readonly unanswered: number;
  readonly clientCpuPercent: number;
}

/** The server's samples taken just before and just after a run. */
export interface ServerSamples {
  readonly before: ServerSample | undefined;
  readonly after: ServerSample | undefined;
}

const MB = 1024 * 1024;

/** Runs `drive` between two samples of the target's process (none when it cannot be read). */
export async function sampleAround<T>(
  target: LoadTarget,
  drive: () => Promise<T>,
): Promise<{ result: T; samples: ServerSamples }> {
  const before = await target.readSample?.();
  const result = await drive();
  const after = await target.readSample?.();

  return { result, samples: { before, after } };
}

/** The figures of one run, from what the driver counted and the server's two samples. */
export function toFigures(
  name: string,
  counts: RunCounts,
  latencyUs: RecordableHistogram,
  samples: ServerSamples,
): LoadFigures {
  const { before, after } = samples;
  const serverCpuMs = ((after?.cpuUs ?? Number.NaN) - (before?.cpuUs ?? Number.NaN)) / 1000;
  const delta = (pick: (s: ServerSample) => HitCounts | undefined) =>
    hitRateBetween(before && pick(before), after && pick(after));

  return {
    name,
    ...counts,
    ...percentilesMs(latencyUs),
    failures: counts.notCompleted + counts.socketErrors,
    serverCpuMs,
    serverCpuMsPerRequest: serverCpuMs / counts.responses,
    serverRssMb: after === undefined ? null : after.rssBytes / MB,
    tokenCache: delta((s) => s.caches?.token),
    decisionCache: delta((s) => s.caches?.decision),
  };
}

/**
 * Combines the runs against one target: the mean of their req/s, percentiles over every response
 * of every run, counts and cache lookups summed, the highest load-generator CPU and the highest
 * end-of-run RSS seen.
 */
export function summarizeRuns(name: string, results: readonly LoadResult[]): LoadFigures {
  const all = results.map((result) => result.figures);
  const sum = (pick: (figures: LoadFigures) => number) =>
    all.reduce((total, figures) => total + pick(figures), 0);
  const latencyUs = createHistogram();
  for (const result of results) latencyUs.add(result.latencyUs);
  const rss = all.flatMap((figures) => (figures.serverRssMb === null ? [] : [figures.serverRssMb]));

  return {
    name,
    requestsPerSec: sum((f) => f.requestsPerSec) / Math.max(1, all.length),
    ...percentilesMs(latencyUs),
    responses: sum((f) => f.responses),
    notCompleted: sum((f) => f.notCompleted),
    non2xx: sum((f) => f.non2xx),
    rateLimited: sum((f) => f.rateLimited),
    jsonRpcErrors: sum((f) => f.jsonRpcErrors),
    socketErrors: sum((f) => f.socketErrors),
    failures: sum((f) => f.failures),
    unanswered: sum((f) => f.unanswered),
    clientCpuPercent: Math.max(0, ...all.map((f) => f.clientCpuPercent)),
    serverCpuMs: sum((f) => f.serverCpuMs),
    serverCpuMsPerRequest: sum((f) => f.serverCpuMs) / sum((f) => f.responses),
    serverRssMb: rss.length === 0 ? null : Math.max(...rss),
    tokenCache: sumHitRates(all.map((f) => f.tokenCache)),
    decisionCache: sumHitRates(all.map((f) => f.decisionCache)),
  };
}

function percentilesMs(latencyUs: RecordableHistogram) {
  return {
    p50Ms: latencyUs.percentile(50) / 1000,
    p99Ms: latencyUs.percentile(99) / 1000,
    p999Ms: latencyUs.percentile(99.9) / 1000,
  };
}

function hitRateBetween(before?: HitCounts, after?: HitCounts): HitRate | null {
  if (before === undefined || after === undefined) return null;

  return withRate(after.hits - before.hits, after.misses - before.misses);
}

function sumHitRates(rates: readonly (HitRate | null)[]): HitRate | null {
  const present = rates.filter((rate): rate is HitRate => rate !== null);
  if (present.length === 0) return null;

  const total = (pick: (rate: HitRate) => number) => present.reduce((t, r) => t + pick(r), 0);
  return withRate(
    total((r) => r.hits),
    total((r) => r.misses),
  );
}

function withRate(hits: number, misses: number): HitRate {
  return { hits, misses, hitRate: hits + misses === 0 ? null : hits / (hits + misses) };
}
