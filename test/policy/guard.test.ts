import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { defineTool, type ToolDefinition } from '../../src/agent/define.js';
import { createPolicyGuard } from '../../src/policy/guard.js';
import { createPolicyEngine } from '../../src/policy/engine.js';
import { parsePolicyBundle } from '../../src/policy/load.js';
import type { AuditTrail } from '../../src/audit/event.js';
import { silentLogger } from '../support/harness.js';
import { memoryAudit, principal } from './helpers.js';

const SCHEMA = `entity Doc = { owner: String };
action "charge" appliesTo {
  principal: [Agent], resource: [Tool], context: { input: { amount: Long, currency: String } },
};
action "read-doc" appliesTo { principal: [Agent], resource: [Doc] };
`;
const POLICIES = `
@id("charge.small") permit (principal, action == Action::"charge", resource)
  when { context.input.amount < 100 };
@id("charge.eur.shadow") @shadow forbid (principal, action == Action::"charge", resource)
  when { context.input.currency == "EUR" };
@id("doc.owner") permit (principal, action == Action::"read-doc", resource)
  when { resource.owner == principal.issuer };
`;
const engine = createPolicyEngine(
  parsePolicyBundle({ file: 's', text: SCHEMA }, [{ file: 'p.cedar', text: POLICIES }]),
  { cache: { ttlMs: 0, maxEntries: 10 } },
);

const charge = defineTool({
  name: 'charge',
  description: 'charges',
  input: z.object({ amount: z.number(), currency: z.string(), card: z.string() }),
  run: async () => 'ok',
});
const readDoc = defineTool({
  name: 'read-doc',
  description: 'reads',
  input: z.object({ id: z.string() }),
  policy: { resource: ({ id }) => ({ type: 'Doc', id }) },
  run: async () => 'ok',
});

function guard(
  options: { audit?: AuditTrail; resolvers?: Record<string, () => never | undefined> } = {},
) {
  return createPolicyGuard({
    engine,
    resolvers: options.resolvers ?? {},
    timeZone: 'UTC',
    audit: options.audit ?? memoryAudit(),
    logger: silentLogger,
  });
}

function call(tool: ToolDefinition, input: unknown) {
  return { tool, input, principal: principal({ agent: 'a' }), taskId: 't', contextId: 'c' };
}

describe('the policy guard', () => {
  it('reads context.input from the input by name, sending only the declared fields', async () => {
    const audit = memoryAudit();

    await guard({ audit }).checkToolCall(
      call(charge as ToolDefinition, { amount: 5, currency: 'USD', card: '4111' }),
    );

    expect(audit.events[0]).toMatchObject({ event: 'tool.allowed', policies: ['charge.small'] });
  });

  it('denies an input that does not fit the schema with a message naming the field', async () => {
    const outcome = guard().checkToolCall(
      call(charge as ToolDefinition, { amount: 2.5, currency: 'USD', card: '' }),
    );

    await expect(outcome).rejects.toMatchObject({
      code: 'ERR_POLICY_DENIED',
      publicMessage:
        'policy denies tool "charge": input does not fit the policy schema: ' +
        'input.amount: expected a whole number (Long), got a fraction',
    });
  });

  it('denies when a resolver fails to load the resource', async () => {
    const resolvers = {
      Doc: () => {
        throw new Error('database down');
      },
    };
    const outcome = guard({ resolvers }).checkToolCall(
      call(readDoc as ToolDefinition, { id: 'd-1' }),
    );

    await expect(outcome).rejects.toMatchObject({
      code: 'ERR_POLICY_DENIED',
      publicMessage: 'policy denies tool "read-doc": Doc "d-1" could not be loaded',
    });
  });

  it('denies when the resolver knows no such entity', async () => {
    const outcome = guard({ resolvers: { Doc: () => undefined } }).checkToolCall(
      call(readDoc as ToolDefinition, { id: 'x' }),
    );

    await expect(outcome).rejects.toMatchObject({ code: 'ERR_POLICY_DENIED' });
  });

  it('records what a shadow policy would have decided, without enforcing it', async () => {
    const audit = memoryAudit();

    await guard({ audit }).checkToolCall(
      call(charge as ToolDefinition, { amount: 5, currency: 'EUR', card: '' }),
    );

    expect(audit.events[0]).toMatchObject({
      event: 'tool.allowed',
      detail: { shadow: { outcome: 'deny', policies: ['charge.eur.shadow'] } },
    });
  });

  it('does not run an allowed call whose audit entry cannot be written', async () => {
    const audit: AuditTrail = {
      record: async () => Promise.reject(new Error('disk full')),
      close: async () => {},
    };
    const outcome = guard({ audit }).checkToolCall(
      call(charge as ToolDefinition, { amount: 5, currency: 'USD', card: '' }),
    );

    await expect(outcome).rejects.toMatchObject({
      code: 'ERR_POLICY_DENIED',
      publicMessage: 'tool "charge" could not be recorded, so it did not run',
    });
  });
});
