import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { loadAgent } from '../../src/agent/loaded-agent.js';
import { loadCardSource } from '../../src/card/source.js';
import { validateLimits, inputFieldType } from '../../src/limits/validate.js';
import { createSupportAgent } from '../../examples/support-agent/agent.js';
import { z } from 'zod';
import { createWarden } from '../../src/server/warden.js';
import { REPO, silentLogger, SUPPORT_CARD } from '../support/harness.js';

/** Bad `limits` configuration stops the start, naming the key and the file. */

const BASE = {
  agentCard: SUPPORT_CARD,
  agent: { module: path.join(REPO, 'examples/support-agent/agent.ts') },
  cardSigning: { keyFile: 'key.json' },
};
const rule = { limit: 10, windowMs: 60_000 };
const agent = loadAgent(createSupportAgent(), loadCardSource(SUPPORT_CARD));

function errorOf(action: () => unknown): { code?: unknown; message: string } {
  try {
    action();
  } catch (error) {
    return error as { code?: unknown; message: string };
  }
  throw new Error('expected an error');
}

describe('limits configuration, checked by its schema', () => {
  it.each([
    [
      'a zero window',
      { skills: { refunds: { ...rule, windowMs: 0 } } },
      'limits.skills.refunds.windowMs',
    ],
    ['a negative window', { requests: { ...rule, windowMs: -5 } }, 'limits.requests.windowMs'],
    ['a zero limit', { requests: { ...rule, limit: 0 } }, 'limits.requests.limit'],
    ['a negative limit', { unauthenticated: { limit: -1 } }, 'limits.unauthenticated.limit'],
    [
      'an unknown key part',
      { skills: { '*': { ...rule, key: ['agent', 'ip'] } } },
      'limits.skills.*.key.1',
    ],
    ['a key part twice', { requests: { ...rule, key: ['agent', 'agent'] } }, 'limits.requests.key'],
    ['a zero budget', { budgets: { toolCallsPerTask: 0 } }, 'limits.budgets.toolCallsPerTask'],
    [
      'a negative total',
      { budgets: { tools: { 'issue-refund': { totals: { amount: { perTask: -500 } } } } } },
      'limits.budgets.tools.issue-refund.totals.amount.perTask',
    ],
    ['an unknown key', { rquests: rule }, 'limits'],
    [
      'a Redis URL of another scheme',
      { redis: { url: 'http://127.0.0.1:6379' } },
      'limits.redis.url',
    ],
  ])('refuses %s, naming %s', (_name, limits, key) => {
    const error = errorOf(() => resolveConfig({ ...BASE, limits }, '/etc/warden.yaml'));

    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.message).toContain('/etc/warden.yaml');
    expect(error.message).toContain(`  ${key}: `);
  });

  it('starts with no limits section: only the unauthenticated limit applies', () => {
    const { limits } = resolveConfig(BASE);

    expect(limits).toMatchObject({
      unauthenticated: { limit: 300, windowMs: 60_000, ipv6Subnet: 56 },
      skills: {},
      agents: {},
      budgets: { tools: {} },
    });
    expect(limits.requests).toBeUndefined();
    expect(limits.redis).toBeUndefined();
  });
});

describe('limits configuration, checked against the agent', () => {
  it.each([
    [
      'a budget on a text field',
      { budgets: { tools: { 'issue-refund': { totals: { reason: { perTask: 5 } } } } } },
      'limits.budgets.tools.issue-refund.totals.reason: only a numeric input field can be totalled; it is a string',
    ],
    [
      'a budget on a field the tool does not have',
      { budgets: { tools: { 'issue-refund': { totals: { amout: { perTask: 5 } } } } } },
      'limits.budgets.tools.issue-refund.totals.amout: only a numeric input field can be totalled; it is not a field of its input',
    ],
    [
      'a budget on an unknown tool',
      { budgets: { tools: { 'issue-refunds': { callsPerTask: 1 } } } },
      'limits.budgets.tools.issue-refunds: no such tool; this agent declares lookup-customer, list-orders, list-tickets, open-ticket, issue-refund',
    ],
    [
      'a limit on an unknown skill',
      { skills: { refund: rule } },
      'limits.skills.refund: no such skill; this agent offers customer-profile, order-history, support-tickets, refunds (or "*")',
    ],
    [
      "an agent's limit on an unknown skill",
      { agents: { 'peer-agent-b': { skills: { refund: rule } } } },
      'limits.agents.peer-agent-b.skills.refund: no such skill',
    ],
  ])('refuses %s', (_name, limits, expected) => {
    const config = resolveConfig({ ...BASE, limits }, '/etc/warden.yaml');
    const error = errorOf(() => validateLimits(config.limits, agent, config.source));

    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.message).toContain('invalid configuration in /etc/warden.yaml:');
    expect(error.message).toContain(expected);
  });

  it.each([
    ['a number', z.object({ amount: z.number().positive() }), 'amount', 'number'],
    ['an optional number', z.object({ amount: z.number().optional() }), 'amount', 'number'],
    [
      'a nested number',
      z.object({ pay: z.object({ eur: z.number().default(1) }) }),
      'pay.eur',
      'number',
    ],
    ['a string', z.object({ amount: z.string() }), 'amount', 'string'],
    ['a transformed string', z.object({ amount: z.string().transform(Number) }), 'amount', 'pipe'],
    ['an absent field', z.object({ other: z.number() }), 'amount', undefined],
  ])("reads %s from a tool's input schema", (_name, schema, field, type) => {
    expect(inputFieldType(schema, field.split('.'))).toBe(type);
  });

  it('stops the start of Warden, naming the key, before anything listens', async () => {
    const limits = {
      budgets: { tools: { 'issue-refund': { totals: { reason: { perTask: 5 } } } } },
    };
    const config = resolveConfig({ ...BASE, limits }, '/etc/warden.yaml');

    await expect(
      createWarden({ config, logger: silentLogger, agent: createSupportAgent() }),
    ).rejects.toThrowError(
      expect.objectContaining({
        code: 'ERR_CONFIG_INVALID',
        message: expect.stringContaining('limits.budgets.tools.issue-refund.totals.reason'),
      }),
    );
  });
});
