import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** A server under load: where `SendMessage` goes, and the access tokens to present, if any. */
export interface LoadTarget {
  /** The row label, e.g. `bare` or `warden`. */
  readonly name: string;
  /** The JSON-RPC endpoint, e.g. `http://127.0.0.1:8080/a2a/jsonrpc`. */
  readonly url: string;
  /** Sent round-robin, one per request, as `Authorization: Bearer`; empty for no security. */
  readonly bearerTokens: readonly string[];
  /**
   * CPU time the server's process has used so far, in microseconds, when it can be read. Unlike
   * req/s, CPU per request hardly changes when other processes compete for the machine.
   */
  readonly readCpuUs?: () => Promise<number>;
}

/** A benchmark server that is listening, and how to stop it. */
export interface RunningTarget {
  readonly target: LoadTarget;
  close(): Promise<void>;
}

/** How hard and how long to drive a target. */
export interface LoadOptions {
  /** Concurrent keep-alive connections. */
  readonly connections: number;
  readonly durationSec: number;
}

/** What one run measured. Every request that did not end in a completed task is a failure. */
export interface LoadFigures {
  readonly name: string;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly responses: number;
  /** Responses that were not a completed task (non-2xx and JSON-RPC errors included). */
  readonly notCompleted: number;
  readonly non2xx: number;
  readonly jsonRpcErrors: number;
  /** Connection errors and timeouts: requests that got no response at all. */
  readonly socketErrors: number;
  readonly failures: number;
  /** CPU the load generator used, in percent of one core; near 100 means it was the bottleneck. */
  readonly clientCpuPercent: number;
  /** CPU time the server used during the run, in ms; NaN when it cannot be read. */
  readonly serverCpuMs: number;
  /** {@link serverCpuMs} per response. */
  readonly serverCpuMsPerRequest: number;
}

/** One run's figures and its latency histogram (microseconds), which rounds can merge. */
export interface LoadResult {
  readonly figures: LoadFigures;
  readonly latencyUs: RecordableHistogram;
}

/** The text every request asks the echo skill to return. */
export const ECHO_TEXT = 'hello from the Warden benchmark';

/**
 * Sends one `SendMessage` and throws unless the answer is a completed task echoing the text, so a
 * benchmark can never quietly measure how fast a server says no.
 */
export async function assertEchoCompletes(target: LoadTarget): Promise<void> {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: requestHeaders(target.bearerTokens[0]),
    body: sendMessageBody().replace('[<id>]', crypto.randomUUID()),
  });
  const body = await response.text();

  const echoed = readEcho(body);
  if (!response.ok || echoed !== ECHO_TEXT) {
    throw new Error(`${target.name}: SendMessage did not complete (${response.status}): ${body}`);
  }
}

/** Drives `target` with autocannon for `durationSec` and returns what it measured. */
export async function runLoad(target: LoadTarget, options: LoadOptions): Promise<LoadResult> {
  const latencyUs = createHistogram();
  const counts = { jsonRpcErrors: 0 };
  const clientCpuBefore = process.cpuUsage();
  const serverCpuBeforeUs = await target.readCpuUs?.();

  const result = await drive(target, options, counts, latencyUs);

  const serverCpuAfterUs = await target.readCpuUs?.();
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const usage = {
    clientCpuPercent: (clientCpu.user + clientCpu.system) / 10 / (result.duration * 1000),
    serverCpuMs: ((serverCpuAfterUs ?? Number.NaN) - (serverCpuBeforeUs ?? Number.NaN)) / 1000,
  };
  return { figures: toFigures(target.name, result, latencyUs, counts, usage), latencyUs };
}

function drive(
  target: LoadTarget,
  options: LoadOptions,
  counts: { jsonRpcErrors: number },
  latencyUs: RecordableHistogram,
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(cannonOptions(target, options, counts), (error, done) =>
      error ? reject(toError(error)) : resolve(done),
    );
    // autocannon's own histogram holds whole milliseconds; loopback latencies need finer grain.
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
      latencyUs.record(Math.max(1, Math.round(responseTimeMs * 1000)));
    });
  });
}

/**
 * Combines the runs against one target: the mean of their req/s, percentiles over every response
 * of every run, counts summed, and the highest load-generator CPU seen.
 */
export function summarizeRuns(name: string, results: readonly LoadResult[]): LoadFigures {
  const sum = (pick: (figures: LoadFigures) => number) =>
    results.reduce((total, result) => total + pick(result.figures), 0);
  const latencyUs = createHistogram();
  for (const result of results) latencyUs.add(result.latencyUs);

  return {
    name,
    requestsPerSec: sum((f) => f.requestsPerSec) / Math.max(1, results.length),
    p50Ms: latencyUs.percentile(50) / 1000,
    p99Ms: latencyUs.percentile(99) / 1000,
    responses: sum((f) => f.responses),
    notCompleted: sum((f) => f.notCompleted),
    non2xx: sum((f) => f.non2xx),
    jsonRpcErrors: sum((f) => f.jsonRpcErrors),
    socketErrors: sum((f) => f.socketErrors),
    failures: sum((f) => f.failures),
    clientCpuPercent: Math.max(0, ...results.map((result) => result.figures.clientCpuPercent)),
    serverCpuMs: sum((f) => f.serverCpuMs),
    serverCpuMsPerRequest: sum((f) => f.serverCpuMs) / sum((f) => f.responses),
  };
}

function cannonOptions(
  target: LoadTarget,
  options: LoadOptions,
  counts: { jsonRpcErrors: number },
): autocannon.Options {
  return {
    url: target.url,
    method: 'POST',
    connections: options.connections,
    duration: options.durationSec,
    headers: requestHeaders(undefined),
    body: sendMessageBody(),
    // A fresh messageId per request, as a real peer sends.
    idReplacement: true,
    requests: [{ setupRequest: rotateTokens(target.bearerTokens) }],
    verifyBody: (body) => isCompletedTask(String(body), counts),
  };
}

// Each request takes the next token, so a server cannot profit from seeing one caller only.
function rotateTokens(tokens: readonly string[]): autocannon.Request['setupRequest'] {
  let next = 0;

  return (request) => {
    const token = tokens[next++ % Math.max(1, tokens.length)];
    if (token !== undefined) request.headers = { ...request.headers, ...bearer(token) };
    return request;
  };
}

function requestHeaders(token: string | undefined): Record<string, string> {
  const headers = { 'content-type': 'application/json', 'a2a-version': '1.0' };

  return token === undefined ? headers : { ...headers, ...bearer(token) };
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function sendMessageBody(): string {
  const message = {
    messageId: '[<id>]',
    role: 'ROLE_USER',
    parts: [{ data: { skill: 'echo', text: ECHO_TEXT } }],
  };

  return JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message } });
}

function isCompletedTask(body: string, counts: { jsonRpcErrors: number }): boolean {
  const parsed = parseJson(body);
  if (isRecord(parsed) && parsed['error'] !== undefined) counts.jsonRpcErrors += 1;

  return readTask(parsed)?.['status']?.state === 'TASK_STATE_COMPLETED';
}

/** The `echo` value of a completed task's data part, or `undefined`. */
function readEcho(body: string): unknown {
  const task = readTask(parseJson(body));
  if (task?.['status']?.state !== 'TASK_STATE_COMPLETED') return undefined;

  const parts = task['artifacts']?.[0]?.parts ?? [];
  return parts.find((part) => part.data !== undefined)?.data?.['echo'];
}

interface TaskJson {
  status?: { state?: string };
  artifacts?: { parts?: { data?: Record<string, unknown> }[] }[];
}

function readTask(parsed: unknown): TaskJson | undefined {
  if (!isRecord(parsed) || !isRecord(parsed['result'])) return undefined;

  const task = parsed['result']['task'];
  return isRecord(task) ? (task as TaskJson) : undefined;
}

function toFigures(
  name: string,
  result: autocannon.Result,
  latencyUs: RecordableHistogram,
  counts: { jsonRpcErrors: number },
  usage: { clientCpuPercent: number; serverCpuMs: number },
): LoadFigures {
  return {
    name,
    requestsPerSec: result.requests.average,
    p50Ms: latencyUs.percentile(50) / 1000,
    p99Ms: latencyUs.percentile(99) / 1000,
    responses: result.requests.total,
    notCompleted: result.mismatches,
    non2xx: result.non2xx,
    jsonRpcErrors: counts.jsonRpcErrors,
    socketErrors: result.errors,
    failures: result.mismatches + result.errors,
    ...usage,
    serverCpuMsPerRequest: usage.serverCpuMs / result.requests.total,
  };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
