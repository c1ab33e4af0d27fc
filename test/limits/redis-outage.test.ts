import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIdp } from '../../src/devidp/index.js';
import { isWardenError } from '../../src/errors.js';
import type { ToolCall } from '../../src/agent/tool-call.js';
import { budgetsSchema } from '../../src/limits/config.js';
import { budgetRules } from '../../src/limits/budget-rules.js';
import { createBudgetGuard } from '../../src/limits/budget-guard.js';
import { redisBudgetStore } from '../../src/limits/budget-redis.js';
import { connectLimitsRedis } from '../../src/limits/redis.js';
import { SupportData } from '../../examples/support-agent/data.js';
import { createSupportAgent } from '../../examples/support-agent/agent.js';
import {
  ALL_SCOPES,
  clientToken,
  freePort,
  silentLogger,
  startIdp,
  startWarden,
  type TestWarden,
} from '../support/harness.js';
import {
  OwnRedis,
  recordingLogger,
  sendSkill,
  taskStateOf,
  uniquePrefix,
  waitFor,
} from './support.js';

/**
 * Warden and a Redis that comes and goes. The machine's Redis is shared, so this test runs a
 * redis-server of its own, which it starts late, stops, freezes and restarts: Warden must fail
 * closed, fast, without crashing, and recover by itself.
 */

const COMMAND_TIMEOUT_MS = 1_000;
const ORDERS = { customerId: 'alice' };

let idp: DevIdp;
let redis: OwnRedis;
let ports: number[];
const data = new SupportData();

beforeAll(async () => {
  redis = new OwnRedis(await freePort());
  ports = [await freePort(), await freePort()];
  idp = await startIdp(ports.map((port) => `http://127.0.0.1:${port}`));
});
afterAll(async () => {
  await redis?.stop();
  await idp?.close();
});

async function startWith(port: number, redisOptions: Record<string, unknown>) {
  const recording = recordingLogger();
  const limits = {
    redis: { url: redis.url, prefix: uniquePrefix(), ...redisOptions },
    skills: { 'order-history': { limit: 100, windowMs: 60_000 } },
    budgets: { tools: { 'issue-refund': { callsPerContext: 10 } } },
  };
  const warden = await startWarden({
    idp,
    port,
    agent: createSupportAgent(data),
    logger: recording.logger,
    overrides: { limits },
  });
  const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, warden.url);
  return { warden, token, lines: recording.lines };
}

// Over HTTP the rate limits refuse first; the budget guard is asked directly, as a skill would.
async function budgetGuardAnswer(): Promise<string> {
  const config = { url: redis.url, prefix: uniquePrefix(), connectTimeoutMs: 200 };
  const store = await connectLimitsRedis(
    { ...config, commandTimeoutMs: COMMAND_TIMEOUT_MS, failOpen: false },
    silentLogger,
  );
  const guard = createBudgetGuard({
    rules: budgetRules(budgetsSchema.parse({ toolCallsPerTask: 5 })),
    store: redisBudgetStore(store, config.prefix, 60_000),
    failOpen: false,
    audit: { record: async () => {}, close: async () => {} },
    logger: silentLogger,
  });
  const call = {
    tool: { name: 'issue-refund' },
    input: {},
    principal: {},
    taskId: 't',
    contextId: 'c',
  };
  try {
    await guard.checkToolCall(call as unknown as ToolCall);
    return 'admitted';
  } catch (error) {
    return isWardenError(error) ? `${error.code}: ${error.publicMessage}` : String(error);
  } finally {
    await store.close();
  }
}

function messagesOf(lines: Record<string, unknown>[]): unknown[] {
  return lines.map((line) => line['message']);
}

describe('with Redis failing closed', () => {
  let running: { warden: TestWarden; token: string; lines: Record<string, unknown>[] };
  const orders = () => sendSkill(running.warden.url, running.token, 'order-history', ORDERS);
  const refund = () =>
    sendSkill(running.warden.url, running.token, 'refunds', { orderId: 'o-1001', amount: 1 });
  const ready = async () => (await fetch(`${running.warden.url}/readyz`)).status;

  beforeAll(async () => {
    running = await startWith(ports[0] as number, {
      connectTimeoutMs: 200,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
  });
  afterAll(() => running?.warden.close());

  it('starts without Redis, not ready, refusing with 503 and a JSON-RPC error', async () => {
    const answer = await orders();

    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(answer.body['error']).toMatchObject({
      code: -31503,
      message: 'rate limits cannot be checked right now; try again shortly',
    });
    expect(await ready()).toBe(503);
    expect(running.lines).toContainEqual(
      expect.objectContaining({ level: 'error', code: 'WARDEN_LIMITS_STORE_DOWN' }),
    );
  });

  it('admits requests, counting in Redis, once Redis is up', async () => {
    await redis.start();
    await waitFor(async () => (await orders()).status === 200, 5_000);

    expect((await orders()).headers.get('ratelimit')).toMatch(/^"skill:order-history"; r=9\d;/);
    expect(await ready()).toBe(200);
    expect(taskStateOf(await refund())).toBe('TASK_STATE_COMPLETED');
  });

  it('fails closed at once when Redis stops, and logs the outage once', async () => {
    await redis.stop();
    const started = Date.now();
    const answers = await Promise.all([orders(), orders(), orders()]);
    const elapsedMs = Date.now() - started;
    const refunded = data.refunds.length;
    const refusedRefund = await refund();
    const guardAnswer = await budgetGuardAnswer();

    expect(answers.map((a) => a.status)).toEqual([503, 503, 503]);
    expect(elapsedMs).toBeLessThan(1_000);
    expect(refusedRefund.status).toBe(503);
    expect(data.refunds).toHaveLength(refunded);
    expect(guardAnswer).toBe(
      'ERR_LIMITS_UNAVAILABLE: budgets cannot be checked right now; try again shortly',
    );
    expect((await fetch(`${running.warden.url}/.well-known/agent-card.json`)).status).toBe(503);
    const lost = messagesOf(running.lines).filter((m) => m === 'limits store connection lost');
    expect(lost).toHaveLength(1);
  });

  it('recovers by itself when Redis returns', async () => {
    await redis.start();
    await waitFor(async () => (await orders()).status === 200, 5_000);

    expect(taskStateOf(await refund())).toBe('TASK_STATE_COMPLETED');
    expect(messagesOf(running.lines)).toContain('limits store reconnected');
  });

  it('fails closed within the command timeout when Redis hangs', async () => {
    redis.pause();
    try {
      const started = Date.now();
      const answer = await orders();

      expect(answer.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS + 1_000);
    } finally {
      redis.resume();
    }
    await waitFor(async () => (await orders()).status === 200, 5_000);
  });
});

describe('with `failOpen`', () => {
  it('warns at start, and admits calls and tool calls unchecked while Redis is down', async () => {
    await redis.stop();
    const { warden, token, lines } = await startWith(ports[1] as number, {
      connectTimeoutMs: 200,
      failOpen: true,
    });
    try {
      const answer = await sendSkill(warden.url, token, 'order-history', ORDERS);
      const refunded = await sendSkill(warden.url, token, 'refunds', {
        orderId: 'o-1002',
        amount: 1,
      });

      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'warn', code: 'WARDEN_LIMITS_FAIL_OPEN' }),
      );
      expect(answer.status).toBe(200);
      expect(answer.headers.get('ratelimit')).toBeNull();
      expect(taskStateOf(refunded)).toBe('TASK_STATE_COMPLETED');
      expect((await fetch(`${warden.url}/readyz`)).status).toBe(200);
    } finally {
      await warden.close();
    }
  });
});
