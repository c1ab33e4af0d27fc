import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { checkAnswer, createEchoRequests } from './echo-requests.js';
import { sampleAround, toFigures, type LoadResult } from './figures.js';
import type { LoadTarget } from './target.js';

/** How hard and how long to drive a target. */
export interface LoadOptions {
  /** Concurrent keep-alive connections, each sending its next request when answered. */
  readonly connections: number;
  readonly durationSec: number;
}

/** Counts kept while a load runs, readable before it ends (the soak samples them). */
export interface LiveCounts {
  /** Responses that were a completed task. */
  completed: number;
  jsonRpcErrors: number;
  rateLimited: number;
}

/** A load in progress. */
export interface RunningLoad {
  readonly live: Readonly<LiveCounts>;
  /** Settles when the duration is over, or soon after {@link stop}. */
  readonly done: Promise<{ result: autocannon.Result; latencyUs: RecordableHistogram }>;
  stop(): void;
}

/**
 * Drives `target` with autocannon at saturation (every connection busy all the time) for the
 * duration, between two samples of the server's process, and returns what it measured.
 */
export async function runLoad(target: LoadTarget, options: LoadOptions): Promise<LoadResult> {
  const clientCpuBefore = process.cpuUsage();
  const { result: run, samples } = await sampleAround(target, async () => {
    const load = startLoad(target, options);
    return { ...(await load.done), live: load.live };
  });
  const clientCpu = process.cpuUsage(clientCpuBefore);

  const counts = {
    requestsPerSec: run.result.requests.average,
    responses: run.result.requests.total,
    notCompleted: run.result.mismatches,
    non2xx: run.result.non2xx,
    rateLimited: run.live.rateLimited,
    jsonRpcErrors: run.live.jsonRpcErrors,
    socketErrors: run.result.errors,
    unanswered: 0,
    clientCpuPercent: (clientCpu.user + clientCpu.system) / 10 / (run.result.duration * 1000),
  };
  return {
    figures: toFigures(target.name, counts, run.latencyUs, samples),
    latencyUs: run.latencyUs,
  };
}

/**
 * Starts autocannon against `target`. Each response body is parsed: anything but a completed task
 * counts as a mismatch. `onCompleted` is told the running total of completed tasks.
 */
export function startLoad(
  target: LoadTarget,
  options: LoadOptions,
  onCompleted?: (completed: number) => void,
): RunningLoad {
  const live: LiveCounts = { completed: 0, jsonRpcErrors: 0, rateLimited: 0 };
  const latencyUs = createHistogram();
  const verifyBody = (body: unknown) => {
    const completed = checkAnswer(String(body), live);
    if (completed) onCompleted?.((live.completed += 1));
    return completed;
  };

  let instance: autocannon.Instance | undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(cannonOptions(target, options, verifyBody), (error, result) =>
      error ? reject(toError(error)) : resolve(result),
    );
    // autocannon's own histogram holds whole milliseconds; loopback latencies need finer grain.
    instance.on('response', (_client, status: number, _bytes, responseTimeMs: number) => {
      if (status === 429) live.rateLimited += 1;
      latencyUs.record(Math.max(1, Math.round(responseTimeMs * 1000)));
    });
  });
  return {
    live,
    done: done.then((result) => ({ result, latencyUs })),
    stop: () => instance?.stop(),
  };
}

function cannonOptions(
  target: LoadTarget,
  options: LoadOptions,
  verifyBody: (body: unknown) => boolean,
): autocannon.Options {
  const nextRequest = createEchoRequests(target);

  return {
    url: target.url,
    method: 'POST',
    connections: options.connections,
    duration: options.durationSec,
    // Shared by every connection: the tokens and texts go round across all of them.
    requests: [{ setupRequest: (request) => ({ ...request, ...nextRequest() }) }],
    verifyBody,
  };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
