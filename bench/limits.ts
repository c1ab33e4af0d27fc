import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Request, Response } from 'express';
import type { RateLimitRequestHandler, Store } from 'express-rate-limit';
import { createClient } from 'redis';
import { createLogger } from '../src/log/logger.js';
import type { Principal } from '../src/auth/principal.js';
import type { ToolCall, ToolGuard } from '../src/agent/tool-call.js';
import { budgetsSchema } from '../src/limits/config.js';
import { limitKey } from '../src/limits/keys.js';
import { buildLimiter, runLimiters } from '../src/limits/limiter.js';
import { memoryStores, redisStores } from '../src/limits/rate-limit-stores.js';
import { connectLimitsRedis, type LimitsRedis } from '../src/limits/redis.js';
import { budgetRules } from '../src/limits/budget-rules.js';
import { createBudgetGuard } from '../src/limits/budget-guard.js';
import { memoryBudgetStore, type BudgetStore } from '../src/limits/budget-store.js';
import { redisBudgetStore } from '../src/limits/budget-redis.js';

/**
 * Throughput of the limits, without HTTP: one rate-limit check (express-rate-limit with Warden's
 * key, draft-8 headers) and one budget charge (every budget of a refund, atomically), each
 * against the memory store and against Redis. Checks run `concurrency` at a time, as requests do;
 * no check is ever refused, so the figures are of the admitting path.
 *
 * `npx tsx bench/limits.ts` prints a table; `bench/run.ts` calls {@link benchLimits}.
 */

/** Options for {@link benchLimits}. */
export interface LimitsBenchOptions {
  /** Redis to measure against; its figures are left out when it cannot be reached. */
  readonly redisUrl?: string;
  /** How long each figure is measured, in milliseconds. */
  readonly durationMs?: number;
  /** Checks in flight at once. */
  readonly concurrency?: number;
}

const logger = createLogger({ silent: true });
const AGENTS = 100;

/**
 * Measures rate-limit checks and budget charges per second: keys `rateLimit.memory`,
 * `rateLimit.redis`, `budget.memory`, `budget.redis` (ops/s). Redis keys go under a fresh prefix
 * and are deleted afterwards.
 */
export async function benchLimits(
  options: LimitsBenchOptions = {},
): Promise<Record<string, number>> {
  const durationMs = options.durationMs ?? 3_000;
  const concurrency = options.concurrency ?? 64;
  const measure = (op: (i: number) => Promise<unknown>) => opsPerSec(op, durationMs, concurrency);

  const figures: Record<string, number> = {};
  const memoryStore = memoryStores();
  figures['rateLimit.memory'] = await measure(rateLimitCheck(memoryStore.create('bench')));
  figures['budget.memory'] = await measure(budgetCharge(memoryBudgetStore(3_600_000)));
  memoryStore.close();

  const url = options.redisUrl ?? process.env['WARDEN_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const redis = await reachableRedis(url);
  if (redis === undefined) return figures;

  const prefix = `warden-bench:${randomUUID()}:`;
  try {
    figures['rateLimit.redis'] = await measure(
      rateLimitCheck(redisStores(redis, prefix).create('bench')),
    );
    figures['budget.redis'] = await measure(
      budgetCharge(redisBudgetStore(redis, prefix, 3_600_000)),
    );
  } finally {
    await redis.close();
    await deleteKeys(url, prefix);
  }
  return figures;
}

/** One check of a limit no caller reaches, for one of {@link AGENTS} agents in turn. */
function rateLimitCheck(store: Store): (i: number) => Promise<unknown> {
  const limiter: RateLimitRequestHandler = buildLimiter({
    name: 'skill:bench',
    limit: Number.MAX_SAFE_INTEGER,
    windowMs: 60_000,
    store,
    keyOf: (req) => limitKey(Reflect.get(req, 'subject'), ['issuer', 'agent', 'skill']),
    refuse: async () => {
      throw new Error('the bench limit refused a request');
    },
    logger,
  });
  const issuer = 'https://idp.example';

  return (i) => {
    const subject = { issuer, agent: `agent-${i % AGENTS}`, user: undefined, skill: 'bench' };
    return runLimiters([limiter], { subject } as unknown as Request, fakeResponse());
  };
}

/** One charge of the budgets of a refund: calls per task and context, amount per task. */
function budgetCharge(store: BudgetStore): (i: number) => Promise<unknown> {
  const budgets = budgetsSchema.parse({
    toolCallsPerTask: 1_000_000,
    tools: {
      'issue-refund': { callsPerContext: 1_000_000, totals: { amount: { perTask: 1e9 } } },
    },
  });
  const guard: ToolGuard = createBudgetGuard({
    rules: budgetRules(budgets),
    store,
    failOpen: false,
    audit: { record: async () => {}, close: async () => {} },
    logger,
  });
  const tool = { name: 'issue-refund' };
  const principal = { issuer: 'https://idp.example', agent: 'bench', user: undefined };

  return (i) => {
    const at = { taskId: `task-${i % 1_000}`, contextId: `ctx-${i % 100}` };
    const call = { tool, input: { amount: 12.5 }, principal, ...at };
    return guard.checkToolCall(call as unknown as ToolCall);
  };
}

// Just what express-rate-limit touches when it admits a request and sets draft-8 headers.
function fakeResponse(): Response {
  return { headersSent: false, setHeader() {}, append() {} } as unknown as Response;
}

async function opsPerSec(
  op: (i: number) => Promise<unknown>,
  durationMs: number,
  concurrency: number,
): Promise<number> {
  let done = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) await op(done++);
  };

  await Promise.all(Array.from({ length: concurrency }, worker));
  return Math.round(done / ((performance.now() - started) / 1_000));
}

async function reachableRedis(url: string): Promise<LimitsRedis | undefined> {
  const config = { url, prefix: 'unused', connectTimeoutMs: 1_000, commandTimeoutMs: 5_000 };
  const redis = await connectLimitsRedis({ ...config, failOpen: false }, logger);
  if (redis.isReady()) return redis;

  await redis.close();
  return undefined;
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1_000 })) {
    if (keys.length > 0) await client.del(keys);
  }
  client.destroy();
}

function formatTable(figures: Record<string, number>): string {
  const rows = ['rateLimit', 'budget'].map((check) => {
    const cell = (store: string) => {
      const value = figures[`${check}.${store}`];
      return (value === undefined ? 'skipped' : value.toLocaleString('en-US')).padStart(10);
    };
    return `${check.padEnd(10)}  ${cell('memory')}  ${cell('redis')}`;
  });
  return [`${'ops/s'.padEnd(10)}  ${'memory'.padStart(10)}  ${'redis'.padStart(10)}`, ...rows].join(
    '\n',
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchLimits();
  process.stdout.write(`limits: checks per second, 64 in flight\n${formatTable(figures)}\n`);
}
