import { describe, expect, it } from 'vitest';
import type { AuditEventInput, AuditTrail } from '../../src/audit/event.js';
import { runAuditedTool } from '../../src/audit/tool-run.js';
import { WardenError } from '../../src/errors.js';
import { alice } from './support.js';

const call = {
  tool: { name: 'issue-refund' },
  input: { orderId: 'o-1001', amount: 5 },
  principal: alice,
  taskId: 't-1',
  contextId: 'c-1',
};

function fakeTrail(options: { available?: boolean; failRecords?: boolean } = {}) {
  const recorded: AuditEventInput[] = [];
  const trail: AuditTrail = {
    async record(event) {
      if (options.failRecords) throw new WardenError('ERR_AUDIT_UNAVAILABLE', 'down');
      recorded.push(event);
    },
    close: async () => {},
    isAvailable: () => options.available ?? true,
  };
  return { trail, recorded };
}

describe('a tool call, audited', () => {
  it('records tool.completed with its input and duration before returning the output', async () => {
    const { trail, recorded } = fakeTrail();

    await expect(runAuditedTool(trail, call, async () => 'refunded')).resolves.toBe('refunded');
    expect(recorded).toEqual([
      expect.objectContaining({
        event: 'tool.completed',
        tool: 'issue-refund',
        parameters: call.input,
        outcome: 'ok',
        durationMs: expect.any(Number),
      }),
    ]);
  });

  it('records tool.failed with the error code, and rethrows the error', async () => {
    const { trail, recorded } = fakeTrail();
    const failure = new WardenError('ERR_SKILL_FAILED', 'order "o-1001" has only 3 left to refund');

    await expect(runAuditedTool(trail, call, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(recorded).toEqual([
      expect.objectContaining({ event: 'tool.failed', outcome: 'ERR_SKILL_FAILED' }),
    ]);
  });

  it('does not run the tool at all when the trail is down', async () => {
    const { trail } = fakeTrail({ available: false });
    let ran = false;

    await expect(runAuditedTool(trail, call, async () => (ran = true))).rejects.toMatchObject({
      code: 'ERR_AUDIT_UNAVAILABLE',
    });
    expect(ran).toBe(false);
  });

  it('withholds the output when its entry cannot be written', async () => {
    const { trail } = fakeTrail({ failRecords: true });

    await expect(runAuditedTool(trail, call, async () => 'refunded')).rejects.toMatchObject({
      code: 'ERR_AUDIT_UNAVAILABLE',
    });
  });
});
