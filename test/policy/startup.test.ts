import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIdp } from '../../src/devidp/index.js';
import {
  ALL_SCOPES,
  REPO,
  clientToken,
  freePort,
  startIdp,
  startWarden,
} from '../support/harness.js';
import { sendSkill } from '../approvals/fixture.js';

let idp: DevIdp;
let port: number;
let url: string;
let dir: string;

beforeAll(async () => {
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  idp = await startIdp([url]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-policies-'));
});

afterAll(async () => {
  await idp?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of the support policies in a fresh directory, to break or edit. */
function copyOfSupportPolicies(name: string) {
  const target = path.join(dir, name);
  cpSync(path.join(REPO, 'policies/support'), target, { recursive: true });
  return {
    schema: path.join(target, 'schema.cedarschema'),
    files: [path.join(target, 'support.cedar')],
  };
}

describe('starting with a policy set', () => {
  it('refuses to start with a malformed policy, naming file and line', async () => {
    const policy = copyOfSupportPolicies('broken');
    writeFileSync(
      policy.files[0] as string,
      'permit (principal, action, resource)\n  when { resource.nope };\n',
    );

    const start = startWarden({ idp, port, overrides: { policy } });

    await expect(start).rejects.toMatchObject({ code: 'ERR_POLICY_INVALID' });
    await expect(start).rejects.toThrow(/support\.cedar:2:10: .*attribute `nope`/);
  });

  it("refuses to start when the schema has no action for one of the agent's tools", async () => {
    const policy = copyOfSupportPolicies('missing-action');
    const schema = readFileSync(policy.schema, 'utf8').replace('"list-tickets", ', '');
    writeFileSync(policy.schema, schema);
    writeFileSync(policy.files[0] as string, '@id("all") permit (principal, action, resource);\n');

    const start = startWarden({ idp, port, overrides: { policy } });

    await expect(start).rejects.toThrow('the schema declares no action "list-tickets"');
  });

  it('reloads an edited set, keeping the previous one when the new one is malformed', async () => {
    const policy = copyOfSupportPolicies('reload');
    const warden = await startWarden({ idp, port, overrides: { policy } });
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
    const refund = () => sendSkill(url, token, 'refunds', { orderId: 'o-1002', amount: 5 });
    const file = policy.files[0] as string;
    const original = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, 'this is not cedar');
      expect(await warden.warden.reloadPolicy()).toBe(false);
      expect((await refund()).status.state).toBe('TASK_STATE_COMPLETED');

      const lowered = original.replace('amountCents < 5000', 'amountCents < 100');
      writeFileSync(file, lowered.replace('amountCents >= 5000', 'amountCents >= 100'));
      expect(await warden.warden.reloadPolicy()).toBe(true);
      expect((await refund()).status.state).toBe('TASK_STATE_AUTH_REQUIRED');
    } finally {
      await warden.close();
    }
  });
});

describe('reloadPolicy', () => {
  it('audits policy.reloaded with the hash in force, whether or not it loaded', async () => {
    const { reloadPolicy } = await import('../../src/policy/reload.js');
    const { createPolicyEngine } = await import('../../src/policy/engine.js');
    const { loadPolicyBundle } = await import('../../src/policy/load.js');
    const { memoryAudit } = await import('./helpers.js');
    const { silentLogger } = await import('../support/harness.js');
    const sources = copyOfSupportPolicies('reload-audit');
    const engine = createPolicyEngine(loadPolicyBundle(sources), {
      cache: { ttlMs: 0, maxEntries: 1 },
    });
    const before = engine.current().hash;
    const audit = memoryAudit();
    const agent = { skills: ['refunds'], tools: ['issue-refund'] };
    const reload = () => reloadPolicy({ engine, sources, agent, audit, logger: silentLogger });

    writeFileSync(sources.files[0] as string, 'forbid (principal, action, resource)');
    expect(await reload()).toBe(false);
    writeFileSync(
      sources.files[0] as string,
      '@id("none") forbid (principal, action, resource);\n',
    );
    expect(await reload()).toBe(true);

    expect(audit.events).toEqual([
      expect.objectContaining({
        event: 'policy.reloaded',
        outcome: 'ERR_POLICY_INVALID',
        policySetHash: before,
      }),
      expect.objectContaining({
        event: 'policy.reloaded',
        outcome: 'reloaded',
        detail: { previousHash: before, policies: 1 },
      }),
    ]);
    expect(engine.current().hash).not.toBe(before);
  });
});
