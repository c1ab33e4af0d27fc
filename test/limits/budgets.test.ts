import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWardenError } from '../../src/errors.js';
import type { Principal } from '../../src/auth/principal.js';
import type { ToolCall, ToolGuard } from '../../src/agent/tool-call.js';
import type { ToolDefinition } from '../../src/agent/define.js';
import { budgetsSchema } from '../../src/limits/config.js';
import { budgetRules } from '../../src/limits/budget-rules.js';
import { createBudgetGuard } from '../../src/limits/budget-guard.js';
import { memoryBudgetStore, type BudgetStore } from '../../src/limits/budget-store.js';
import { redisBudgetStore } from '../../src/limits/budget-redis.js';
import { connectLimitsRedis, type LimitsRedis } from '../../src/limits/redis.js';
import type { AuditEventInput } from '../../src/audit/event.js';
import type { DevIdp } from '../../src/devidp/index.js';
import { SupportData } from '../../examples/support-agent/data.js';
import { supportTools } from '../../examples/support-agent/tools.js';
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
  auditEntries,
  deleteKeys,
  sendSkill,
  SHARED_REDIS_URL,
  statusTextOf,
  taskStateOf,
  uniquePrefix,
} from './support.js';

/**
 * Per-task and per-context budgets, enforced by the budget tool guard: the same cases against the
 * in-memory store and the Redis script, then over HTTP with the support agent.
 */

const tools = supportTools(new SupportData());
const prefix = uniquePrefix();
let redis: LimitsRedis;

beforeAll(async () => {
  redis = await connectLimitsRedis(
    {
      url: SHARED_REDIS_URL,
      prefix,
      connectTimeoutMs: 1_000,
      commandTimeoutMs: 5_000,
      failOpen: false,
    },
    silentLogger,
  );
});
afterAll(async () => {
  await redis?.close();
  await deleteKeys(SHARED_REDIS_URL, prefix);
});

// Only the identity fields a budget reads; the rest of a principal does not matter here.
function principal(agent: string): Principal {
  return { issuer: 'https://idp.example', agent, user: undefined } as unknown as Principal;
}

interface Caller {
  guard: ToolGuard;
  audits: AuditEventInput[];
  call(tool: ToolDefinition, input: unknown, at?: Partial<ToolCall>): Promise<string>;
}

function callerWith(budgets: Record<string, unknown>, store: BudgetStore): Caller {
  const audits: AuditEventInput[] = [];
  const guard = createBudgetGuard({
    rules: budgetRules(budgetsSchema.parse(budgets)),
    store,
    failOpen: false,
    audit: { record: async (event) => void audits.push(event), close: async () => {} },
    logger: silentLogger,
  });
  const base = { principal: principal('agent-a'), taskId: 'task-1', contextId: 'ctx-1' };

  return {
    guard,
    audits,
    async call(tool, input, at = {}) {
      try {
        await guard.checkToolCall({ ...base, ...at, tool, input } as ToolCall);
        return 'ok';
      } catch (error) {
        if (isWardenError(error)) return `${error.code}: ${error.publicMessage}`;
        throw error;
      }
    },
  };
}

const refund = (amount: number) => ({ orderId: 'o-1001', amount, reason: '', requestedBy: 'x' });
const customer = { customerId: 'alice' };

const stores: [string, () => BudgetStore][] = [
  ['memory', () => memoryBudgetStore(60_000)],
  ['Redis', () => redisBudgetStore(redis, `${prefix}${randomUUID()}:`, 60_000)],
];

describe.each(stores)('budgets in %s', (_name, makeStore) => {
  it('allows at most `toolCallsPerTask` calls of any tool in one task', async () => {
    const caller = callerWith({ toolCallsPerTask: 3 }, makeStore());

    const results = [
      await caller.call(tools.lookupCustomer, customer),
      await caller.call(tools.listOrders, customer),
      await caller.call(tools.listTickets, customer),
      await caller.call(tools.listOrders, customer),
      await caller.call(tools.listOrders, customer, { taskId: 'task-2' }),
    ];

    expect(results).toEqual([
      'ok',
      'ok',
      'ok',
      'ERR_BUDGET_EXCEEDED: budget exceeded: at most 3 tool calls per task',
      'ok',
    ]);
  });

  it("counts a tool's calls per context, across tasks, each caller's apart", async () => {
    const caller = callerWith({ tools: { 'issue-refund': { callsPerContext: 2 } } }, makeStore());
    const inTask = (taskId: string, agent = 'agent-a') => ({ taskId, principal: principal(agent) });

    const results = [
      await caller.call(tools.issueRefund, refund(1), inTask('t1')),
      await caller.call(tools.issueRefund, refund(1), inTask('t2')),
      await caller.call(tools.issueRefund, refund(1), inTask('t3')),
      await caller.call(tools.issueRefund, refund(1), { ...inTask('t4'), contextId: 'ctx-2' }),
      await caller.call(tools.issueRefund, refund(1), inTask('t5', 'agent-b')),
      await caller.call(tools.lookupCustomer, customer, inTask('t6')),
    ];

    expect(results).toEqual([
      'ok',
      'ok',
      'ERR_BUDGET_EXCEEDED: budget exceeded: at most 2 "issue-refund" calls per context',
      'ok',
      'ok',
      'ok',
    ]);
  });

  it('adds up a numeric input, refusing the call that would pass the total', async () => {
    const caller = callerWith(
      { tools: { 'issue-refund': { totals: { amount: { perTask: 500 } } } } },
      makeStore(),
    );

    const results = [];
    for (const amount of [200, 250, 100, 50, 0.01]) {
      results.push(await caller.call(tools.issueRefund, refund(amount)));
    }

    expect(results).toEqual([
      'ok',
      'ok',
      'ERR_BUDGET_EXCEEDED: budget exceeded: "issue-refund" amount per task would reach 550 of 500',
      'ok',
      'ERR_BUDGET_EXCEEDED: budget exceeded: "issue-refund" amount per task would reach 500.01 of 500',
    ]);
  });

  it('charges every budget of a call or none, and audits the counters', async () => {
    const budgets = {
      tools: { 'issue-refund': { callsPerTask: 2, totals: { amount: { perTask: 100 } } } },
    };
    const caller = callerWith(budgets, makeStore());

    const results = [];
    for (const amount of [90, 20, 10, 1])
      results.push(await caller.call(tools.issueRefund, refund(amount)));

    expect(results.map((r) => r.slice(0, 19))).toEqual([
      'ok',
      'ERR_BUDGET_EXCEEDED',
      'ok',
      'ERR_BUDGET_EXCEEDED',
    ]);
    expect(caller.audits.map((a) => a.detail)).toEqual([
      {
        budget: 'tools.issue-refund.totals.amount.perTask',
        limit: 100,
        used: 90,
        requested: 20,
        counters: {
          'tools.issue-refund.callsPerTask': 1,
          'tools.issue-refund.totals.amount.perTask': 90,
        },
      },
      {
        budget: 'tools.issue-refund.callsPerTask',
        limit: 2,
        used: 2,
        requested: 1,
        counters: {
          'tools.issue-refund.callsPerTask': 2,
          'tools.issue-refund.totals.amount.perTask': 100,
        },
      },
    ]);
    expect(caller.audits[0]).toMatchObject({
      event: 'budget.exceeded',
      tool: 'issue-refund',
      taskId: 'task-1',
      contextId: 'ctx-1',
      decision: 'deny',
      outcome: 'ERR_BUDGET_EXCEEDED',
    });
  });

  it('counts decimal amounts exactly', async () => {
    const caller = callerWith(
      { tools: { 'issue-refund': { totals: { amount: { perContext: 0.3 } } } } },
      makeStore(),
    );

    const results = [];
    for (const amount of [0.1, 0.2, 0.000001])
      results.push(await caller.call(tools.issueRefund, refund(amount)));

    expect(results.map((r) => r.slice(0, 19))).toEqual(['ok', 'ok', 'ERR_BUDGET_EXCEEDED']);
  });

  it('admits exactly the budget under concurrent calls', async () => {
    const caller = callerWith({ tools: { 'issue-refund': { callsPerContext: 7 } } }, makeStore());

    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        caller.call(tools.issueRefund, refund(1), { taskId: `t${i}` }),
      ),
    );

    expect(results.filter((r) => r === 'ok')).toHaveLength(7);
  });
});

describe('budgets over A2A', () => {
  let idp: DevIdp;
  let warden: TestWarden;
  const data = new SupportData();

  beforeAll(async () => {
    const port = await freePort();
    idp = await startIdp([`http://127.0.0.1:${port}`]);
    warden = await startWarden({
      idp,
      port,
      agent: createSupportAgent(data),
      overrides: { limits: { budgets: { tools: { 'issue-refund': { callsPerContext: 2 } } } } },
    });
  });
  afterAll(async () => {
    await warden?.close();
    await idp?.close();
  });

  it('fails the task whose refund is over budget, saying which, refunding nothing', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, warden.url);
    const contextId = randomUUID();
    const send = () =>
      sendSkill(warden.url, token, 'refunds', { orderId: 'o-1001', amount: 5 }, { contextId });

    const answers = [await send(), await send(), await send()];

    expect(answers.map(taskStateOf)).toEqual([
      'TASK_STATE_COMPLETED',
      'TASK_STATE_COMPLETED',
      'TASK_STATE_FAILED',
    ]);
    expect(statusTextOf(answers[2] as (typeof answers)[number])).toBe(
      'budget exceeded: at most 2 "issue-refund" calls per context',
    );
    expect(data.refunds).toHaveLength(2);
    expect(auditEntries(warden.dataDir).filter((e) => e.event === 'budget.exceeded')).toEqual([
      expect.objectContaining({
        agent: 'peer-agent-a',
        tool: 'issue-refund',
        outcome: 'ERR_BUDGET_EXCEEDED',
        detail: {
          budget: 'tools.issue-refund.callsPerContext',
          limit: 2,
          used: 2,
          requested: 1,
          counters: { 'tools.issue-refund.callsPerContext': 2 },
        },
      }),
    ]);
  });
});
