import { beforeAll, describe, expect, it } from 'vitest';
import { isWardenError } from '../../src/errors.js';
import { silentLogger } from '../support/harness.js';
import { createPolicyGuard, type ApprovalHandler, type HeldCall } from '../../src/policy/guard.js';
import type { PolicyEngine } from '../../src/policy/engine.js';
import type { TaskSession } from '../../src/agent/task-session.js';
import type { ToolDefinition } from '../../src/agent/define.js';
import { createSupportAgent } from '../../examples/support-agent/agent.js';
import { memoryAudit, principal, referenceEngine } from './helpers.js';

/**
 * The support agent's policies as its guard applies them: through the tools' own resource
 * declarations and the agent's resolvers, exactly as a running Warden does.
 */

const agent = createSupportAgent();
const tools = new Map(agent.tools.map((tool) => [tool.name, tool]));
const skills = new Map(agent.skills.map((skill) => [skill.id, skill]));
let engine: PolicyEngine;

beforeAll(() => {
  engine = referenceEngine('support');
});

const peerA = principal({ agent: 'peer-agent-a' });
const peerB = principal({ agent: 'peer-agent-b' });
const aForBob = principal({ agent: 'peer-agent-a', user: 'bob' });
const aForAlice = principal({ agent: 'peer-agent-a', user: 'alice' });
const creator = principal({ agent: 'peer-agent-b', roles: ['ticket_creator'] });
const creatorUser = principal({ agent: 'peer-agent-b', user: 'bob', roles: ['ticket_creator'] });

/** Runs a tool call through the guard: allow, deny, or hold (answered by a stub approval). */
async function decide(who: ReturnType<typeof principal>, toolName: string, input: unknown) {
  const held: HeldCall[] = [];
  const approvals: ApprovalHandler = {
    async hold(call) {
      held.push(call);
      return { approvalId: 'a-1', approver: 'op', decision: call.decision };
    },
  };
  const guard = createPolicyGuard({
    engine,
    resolvers: agent.resolvers ?? {},
    timeZone: 'UTC',
    audit: memoryAudit(),
    logger: silentLogger,
    approvals,
  });
  const tool = tools.get(toolName) as ToolDefinition;
  const call = {
    tool,
    input,
    principal: who,
    taskId: 't-1',
    contextId: 'c-1',
    session: {} as TaskSession,
  };
  try {
    await guard.checkToolCall(call);
    return held.length > 0 ? `hold:${held[0]?.decision.approverRoles.join(',')}` : 'allow';
  } catch (error) {
    if (isWardenError(error, 'ERR_POLICY_DENIED')) return 'deny';
    throw error;
  }
}

describe('support agent policies, through its tools and resolvers', () => {
  it.each([
    // ABAC: a profile only for the customer the agent acts for
    ['bob reads his own profile', aForBob, 'lookup-customer', { customerId: 'bob' }, 'allow'],
    ["bob reads alice's profile", aForBob, 'lookup-customer', { customerId: 'alice' }, 'deny'],
    ['an agent alone reads a profile', peerA, 'lookup-customer', { customerId: 'alice' }, 'deny'],
    ['a profile of an unknown customer', aForBob, 'lookup-customer', { customerId: 'zed' }, 'deny'],
    // ReBAC: order history with a customer relationship
    ['bob lists his own orders', aForBob, 'list-orders', { customerId: 'bob' }, 'allow'],
    [
      "alice lists bob's orders (household)",
      aForAlice,
      'list-orders',
      { customerId: 'bob' },
      'allow',
    ],
    ["bob lists alice's orders", aForBob, 'list-orders', { customerId: 'alice' }, 'deny'],
    [
      "alice's linked agent lists her orders",
      peerA,
      'list-orders',
      { customerId: 'alice' },
      'allow',
    ],
    ["another agent lists alice's orders", peerB, 'list-orders', { customerId: 'alice' }, 'deny'],
    // RBAC: tickets with the ticket_creator role
    ['an agent with ticket_creator opens a ticket', creator, 'open-ticket', ticket('bob'), 'allow'],
    ['a user with ticket_creator opens one', creatorUser, 'open-ticket', ticket('bob'), 'allow'],
    ['an agent without the role opens one', peerB, 'open-ticket', ticket('bob'), 'deny'],
    // refunds: under $50 automatic, $50 or more held for a manager
    ['a refund of $49.99', peerA, 'issue-refund', refund('o-1001', 49.99), 'allow'],
    ['a refund of $50', peerA, 'issue-refund', refund('o-1001', 50), 'hold:manager'],
    ['a refund of $200', peerA, 'issue-refund', refund('o-1001', 200), 'hold:manager'],
    ['a refund on an unknown order', peerA, 'issue-refund', refund('o-9', 5), 'deny'],
  ])('%s', async (_name, who, tool, input, expected) => {
    expect(await decide(who, tool, input)).toBe(expected);
  });

  it.each([
    ['directly', principal({ agent: 'peer-agent-a' }), 'allow'],
    ['one hop from the user', principal({ agent: 'peer-agent-a', user: 'bob' }), 'allow'],
    [
      'two hops from the user',
      principal({ agent: 'peer-agent-a', user: 'bob', actors: ['peer-agent-a', 'planner'] }),
      'deny',
    ],
  ])('refunds skill invoked %s', async (_name, who, expected) => {
    const guard = createPolicyGuard({
      engine,
      resolvers: {},
      timeZone: 'UTC',
      audit: memoryAudit(),
      logger: silentLogger,
    });
    const skill = skills.get('refunds');
    if (skill === undefined) throw new Error('no refunds skill');
    const outcome = guard.checkSkill({
      skill,
      args: {},
      principal: who,
      taskId: 't',
      contextId: 'c',
    });

    if (expected === 'allow') await expect(outcome).resolves.toBeUndefined();
    else
      await expect(outcome).rejects.toMatchObject({
        code: 'ERR_POLICY_DENIED',
        publicMessage: 'policy denies skill "refunds"',
      });
  });

  it('audits a denial with the determining policies and the policy set hash', async () => {
    const audit = memoryAudit();
    const guard = createPolicyGuard({
      engine,
      resolvers: agent.resolvers ?? {},
      timeZone: 'UTC',
      audit,
      logger: silentLogger,
    });
    const tool = tools.get('lookup-customer') as ToolDefinition;
    const call = {
      tool,
      input: { customerId: 'alice' },
      principal: aForBob,
      taskId: 't-9',
      contextId: 'c-9',
    };

    await expect(guard.checkToolCall(call)).rejects.toMatchObject({
      code: 'ERR_POLICY_DENIED',
      publicMessage: 'policy denies tool "lookup-customer"',
    });
    expect(audit.events).toEqual([
      expect.objectContaining({
        event: 'tool.denied',
        tool: 'lookup-customer',
        taskId: 't-9',
        decision: 'deny',
        outcome: 'no-permit',
        policies: [],
        policySetHash: engine.current().hash,
      }),
    ]);
  });

  it('denies a call policy would hold when no task can wait for an approval', async () => {
    const guard = createPolicyGuard({
      engine,
      resolvers: agent.resolvers ?? {},
      timeZone: 'UTC',
      audit: memoryAudit(),
      logger: silentLogger,
    });
    const tool = tools.get('issue-refund') as ToolDefinition;
    const call = {
      tool,
      input: refund('o-1001', 80),
      principal: peerA,
      taskId: 't',
      contextId: 'c',
    };

    await expect(guard.checkToolCall(call)).rejects.toMatchObject({ code: 'ERR_POLICY_DENIED' });
  });
});

function ticket(customerId: string) {
  return { customerId, subject: 'Late delivery', openedBy: 'x' };
}

function refund(orderId: string, amount: number) {
  return { orderId, amount, reason: '', requestedBy: 'x' };
}
