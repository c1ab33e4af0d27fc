import { describe, expect, it } from 'vitest';
import { createPolicyEngine } from '../../src/policy/engine.js';
import { parsePolicyBundle } from '../../src/policy/load.js';
import type { CedarRequest } from '../../src/policy/decision.js';

const SCHEMA = `entity Order = { totalCents: Long, flagged: Bool };
action "cancel" appliesTo { principal: [Agent], resource: [Order] };
action "refund" appliesTo {
  principal: [Agent], resource: [Order],
  context: { input: { amountCents: Long, note: String } }
};
`;

const POLICIES = `
@id("small") permit (principal, action == Action::"refund", resource)
  when { context.input.amountCents < 5000 };
@id("large") @approval("manager") permit (principal, action == Action::"refund", resource)
  when { context.input.amountCents >= 5000 };
@id("large-finance") @approval("finance") permit (principal, action == Action::"refund", resource)
  when { context.input.amountCents >= 100000 };
@id("flagged") forbid (principal, action, resource) when { resource.flagged };
// Overflows for huge amounts: an erroring forbid, which Cedar would skip.
@id("overflow") forbid (principal, action == Action::"refund", resource)
  when { context.input.amountCents * 1000000000000 < 0 };
@id("shadow-note") @shadow forbid (principal, action == Action::"refund", resource)
  when { context.input.note == "test" };
`;

// Parsing and validating takes Cedar a while: one bundle for the whole file.
const bundle = parsePolicyBundle({ file: 's', text: SCHEMA }, [
  { file: 'p.cedar', text: POLICIES },
]);

function engine(ttlMs = 0) {
  return createPolicyEngine(bundle, { cache: { ttlMs, maxEntries: 100 } });
}

function refund(
  amountCents: unknown,
  options: { flagged?: boolean; note?: string } = {},
): CedarRequest {
  const agent = { type: 'Agent', id: 'peer-agent-a' };
  const order = { type: 'Order', id: 'o-1' };
  const agentAttrs = {
    issuer: 'https://idp',
    scopes: [],
    roles: [],
    groups: [],
    delegationDepth: 0,
    actors: [],
  };
  return {
    principal: agent,
    action: { type: 'Action', id: 'refund' },
    resource: order,
    context: { input: { amountCents: amountCents as number, note: options.note ?? '' } },
    entities: [
      { uid: agent, attrs: agentAttrs, parents: [] },
      { uid: order, attrs: { totalCents: 10_000, flagged: options.flagged ?? false }, parents: [] },
    ],
  };
}

describe('Cedar decisions', () => {
  const cedar = engine();

  it.each([
    ['a permit allows', refund(2000), 'allow', 'permit', ['small'], []],
    [
      'an @approval permit holds for its role',
      refund(6000),
      'hold',
      'permit',
      ['large'],
      ['manager'],
    ],
    [
      'several @approval permits hold for any of their roles',
      refund(200_000),
      'hold',
      'permit',
      ['large', 'large-finance'],
      ['finance', 'manager'],
    ],
    ['a forbid denies', refund(2000, { flagged: true }), 'deny', 'forbid', ['flagged'], []],
    [
      'no permit denies',
      { ...refund(1), action: { type: 'Action', id: 'cancel' }, context: {} },
      'deny',
      'no-permit',
      [],
      [],
    ],
    [
      'a fraction where the schema says Long denies',
      refund(0.5),
      'deny',
      'invalid-request',
      [],
      [],
    ],
    ['an erroring forbid denies', refund(9_000_000_000), 'deny', 'error', ['overflow'], []],
  ])('%s', (_name, request, outcome, reason, policies, roles) => {
    const decision = cedar.decide(request);

    expect(decision).toMatchObject({ outcome, reason, approverRoles: roles });
    expect([...decision.policies].sort()).toEqual(policies);
  });

  it("denies a request whose context does not fit the schema, with Cedar's reason", () => {
    const decision = cedar.decide(refund('twenty'));

    expect(decision).toMatchObject({ outcome: 'deny', reason: 'invalid-request' });
    expect(decision.errors[0]).toContain('context');
  });

  it('evaluates @shadow policies and reports what they would do, without enforcing them', () => {
    const decision = cedar.decide(refund(2000, { note: 'test' }));

    expect(decision.outcome).toBe('allow');
    expect(decision.shadow).toEqual({ outcome: 'deny', policies: ['shadow-note'] });
  });

  it('states the policy set hash in every decision', () => {
    expect(cedar.decide(refund(1)).policySetHash).toBe(cedar.current().hash);
  });
});

describe('the decision cache', () => {
  it('reuses a decision for identical inputs, and counts hits and misses', () => {
    const cached = engine(60_000);

    expect(cached.decide(refund(100)).cached).toBe(false);
    expect(cached.decide(refund(100)).cached).toBe(true);
    expect(cached.decide(refund(101)).cached).toBe(false);
    expect(cached.cacheStats()).toEqual({ hits: 1, misses: 2, size: 2 });
  });

  it('never reuses a decision across minutes: the time is part of the input', () => {
    const cached = engine(60_000);
    const at = (iso: string) => ({
      ...refund(100),
      context: { ...refund(100).context, time: iso },
    });

    cached.decide(at('2025-01-06T16:59+00:00'));
    expect(cached.cacheStats().misses).toBe(1);
    cached.decide(at('2025-01-06T17:00+00:00'));
    expect(cached.cacheStats()).toMatchObject({ hits: 0, misses: 2 });
  });

  it('is off with a TTL of 0', () => {
    const uncached = engine(0);
    uncached.decide(refund(100));

    expect(uncached.decide(refund(100)).cached).toBe(false);
    expect(uncached.cacheStats()).toEqual({ hits: 0, misses: 0, size: 0 });
  });
});
