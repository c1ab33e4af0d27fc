import { Agent, request as httpRequest, type ClientRequest } from 'node:http';
import { createHistogram, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkAnswer, createEchoRequests, type EchoRequest } from './echo-requests.js';
import { sampleAround, toFigures, type LoadResult } from './figures.js';
import type { LoadTarget } from './target.js';

/** A fixed request rate, spread evenly over time. */
export interface PacedLoadOptions {
  /** Requests started per second, in total. */
  readonly ratePerSec: number;
  readonly durationSec: number;
  /** Most keep-alive connections open at once; requests beyond them wait for one. */
  readonly connections: number;
}

/**
 * After the last request is sent, answers still outstanding get this long. A server that could
 * not keep the rate has a backlog it would take many seconds to clear; those requests are cut
 * off and counted as unanswered rather than waited for.
 */
const DRAIN_MS = 2000;

// Node's timers fire at best every millisecond: each wake-up starts every request that is due.
const TICK_MS = 1;

interface Tally {
  responses: number;
  notCompleted: number;
  non2xx: number;
  rateLimited: number;
  jsonRpcErrors: number;
  socketErrors: number;
  unanswered: number;
  /** Sent or queued for a socket, not answered yet. */
  readonly outstanding: Set<ClientRequest>;
  lastAnswerAt: number;
  /** Set when the run is over: what fails after that was cut off, counted once by `pace`. */
  cutOff: boolean;
}

/**
 * Sends `SendMessage` to `target` at a fixed rate, one request every 1/rate seconds whatever the
 * answers do (an open loop), and measures each latency from the moment its request was due, not
 * from when it was written. A server that stalls therefore shows the delay every caller waiting
 * behind the stall would see, which a closed loop (autocannon) hides: its connections stop
 * sending while they wait. autocannon's own rate option is no substitute here: each connection
 * fires its quota for the second back to back as the second starts, then idles, so the server
 * sees bursts at full concurrency, not the rate.
 */
export async function runPacedLoad(
  target: LoadTarget,
  options: PacedLoadOptions,
): Promise<LoadResult> {
  const clientCpuBefore = process.cpuUsage();
  const { result, samples } = await sampleAround(target, () => pace(target, options));
  const { tally, latencyUs, elapsedSec } = result;
  const clientCpu = process.cpuUsage(clientCpuBefore);

  const { outstanding: _outstanding, lastAnswerAt: _last, cutOff: _cutOff, ...counts } = tally;
  const figures = toFigures(
    target.name,
    {
      ...counts,
      requestsPerSec: tally.responses / elapsedSec,
      clientCpuPercent: (clientCpu.user + clientCpu.system) / 10 / (elapsedSec * 1000),
    },
    latencyUs,
    samples,
  );
  return { figures, latencyUs };
}

async function pace(target: LoadTarget, options: PacedLoadOptions) {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const nextRequest = createEchoRequests(target);
  const tally: Tally = {
    responses: 0,
    notCompleted: 0,
    non2xx: 0,
    rateLimited: 0,
    jsonRpcErrors: 0,
    socketErrors: 0,
    unanswered: 0,
    outstanding: new Set(),
    lastAnswerAt: 0,
    cutOff: false,
  };
  const latencyUs = createHistogram();
  const total = Math.round(options.ratePerSec * options.durationSec);
  const intervalMs = 1000 / options.ratePerSec;
  const started = performance.now();
  let sent = 0;

  const send = (dueAt: number) =>
    sendOne(target.url, agent, nextRequest(), tally, (answeredAt) =>
      latencyUs.record(Math.max(1, Math.round((answeredAt - dueAt) * 1000))),
    );
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - started) / intervalMs) + 1);
    for (; sent < due; sent += 1) send(started + sent * intervalMs);
    await sleep(Math.max(TICK_MS, started + sent * intervalMs - performance.now()));
  }

  await drain(tally);
  cutOff(tally, agent);
  const elapsedSec = Math.max(options.durationSec, (tally.lastAnswerAt - started) / 1000);
  return { tally, latencyUs, elapsedSec };
}

function sendOne(
  url: string,
  agent: Agent,
  echo: EchoRequest,
  tally: Tally,
  recordLatency: (answeredAt: number) => void,
): void {
  const request = httpRequest(url, { method: 'POST', agent, headers: echo.headers }, (response) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => {
      const answeredAt = performance.now();
      tally.outstanding.delete(request);
      tally.lastAnswerAt = answeredAt;
      recordLatency(answeredAt);
      countAnswer(tally, response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
    });
  });
  request.on('error', () => {
    if (tally.cutOff) return;
    tally.outstanding.delete(request);
    tally.socketErrors += 1;
  });
  tally.outstanding.add(request);
  request.end(echo.body);
}

function countAnswer(tally: Tally, status: number, body: string): void {
  tally.responses += 1;
  if (status < 200 || status > 299) tally.non2xx += 1;
  if (status === 429) tally.rateLimited += 1;
  if (!checkAnswer(body, tally)) tally.notCompleted += 1;
}

async function drain(tally: Tally): Promise<void> {
  const deadline = performance.now() + DRAIN_MS;
  while (tally.outstanding.size > 0 && performance.now() < deadline) await sleep(10);
}

/**
 * Ends the run: every request not answered is destroyed, those still queued for a socket too.
 * `agent.destroy()` alone is not enough: closing a socket makes the agent open a new one for the
 * next queued request, so a backlog would go on reaching the server after the run.
 */
function cutOff(tally: Tally, agent: Agent): void {
  tally.cutOff = true;
  tally.unanswered = tally.outstanding.size;
  for (const request of tally.outstanding) request.destroy();
  tally.outstanding.clear();
  agent.destroy();
}
