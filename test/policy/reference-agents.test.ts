import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWardenError } from '../../src/errors.js';
import { createPolicyGuard } from '../../src/policy/guard.js';
import type { AgentDefinition, ToolDefinition } from '../../src/agent/define.js';
import { createDevAgent } from '../../examples/dev-agent/agent.js';
import { createDataAgent } from '../../examples/data-agent/agent.js';
import { silentLogger } from '../support/harness.js';
import { memoryAudit, principal, referenceEngine } from './helpers.js';

/**
 * The dev and data agents' policies through their own tools and resolvers, with a frozen clock
 * for the change window (weekdays 09:00-17:00 in the configured zone).
 */

type Outcome = 'allow' | 'deny' | 'hold';

function decider(agent: AgentDefinition, engineName: 'dev' | 'data', timeZone: string) {
  const engine = referenceEngine(engineName);
  const tools = new Map(agent.tools.map((tool) => [tool.name, tool]));

  return async (
    toolName: string,
    input: unknown,
    at: string,
    who = principal({ agent: 'assistant', user: 'alice' }),
  ): Promise<Outcome> => {
    let held = false;
    const approvals = {
      hold: async (call: { decision: import('../../src/policy/engine.js').EngineDecision }) => {
        held = true;
        return { approvalId: 'a', approver: 'm', decision: call.decision };
      },
    };
    const guard = createPolicyGuard({
      engine,
      resolvers: agent.resolvers ?? {},
      timeZone,
      audit: memoryAudit(),
      logger: silentLogger,
      approvals,
      now: () => new Date(at),
    });
    const tool = tools.get(toolName) as ToolDefinition;
    const session = {} as never;
    try {
      await guard.checkToolCall({
        tool,
        input,
        principal: who,
        taskId: 't',
        contextId: 'c',
        session,
      });
      return held ? 'hold' : 'allow';
    } catch (error) {
      if (isWardenError(error, 'ERR_POLICY_DENIED')) return 'deny';
      throw error;
    }
  };
}

// 2025-01-06 is a Monday.
const MONDAY_1030_BERLIN = '2025-01-06T09:30:00Z';
const MONDAY_1800_BERLIN = '2025-01-06T17:00:00Z';
const WEDNESDAY_1000_UTC = '2025-01-08T10:00:00Z';
const WEDNESDAY_2300_UTC = '2025-01-08T23:00:00Z';

describe('development agent (Europe/Berlin)', () => {
  const decide = decider(createDevAgent(), 'dev', 'Europe/Berlin');
  const bob = principal({ agent: 'assistant', user: 'bob' });

  it.each([
    [
      'bob reads acme/widgets (code_reader)',
      'read-file',
      { repo: 'acme/widgets', path: 'README.md' },
      MONDAY_1030_BERLIN,
      bob,
      'allow',
    ],
    [
      'bob reads acme/secrets (no role)',
      'read-file',
      { repo: 'acme/secrets', path: 'keys.txt' },
      MONDAY_1030_BERLIN,
      bob,
      'deny',
    ],
    [
      'bob comments on #7 (code_commenter)',
      'comment-pr',
      { repo: 'acme/widgets', pr: 7, body: 'LGTM', by: 'bob' },
      MONDAY_1030_BERLIN,
      bob,
      'allow',
    ],
    [
      'alice branches in the window',
      'create-branch',
      { repo: 'acme/widgets', branch: 'fix/a', from: 'main' },
      MONDAY_1030_BERLIN,
      undefined,
      'allow',
    ],
    [
      'alice branches after 17:00',
      'create-branch',
      { repo: 'acme/widgets', branch: 'fix/a', from: 'main' },
      MONDAY_1800_BERLIN,
      undefined,
      'deny',
    ],
    [
      'alice branches over a protected branch',
      'create-branch',
      { repo: 'acme/widgets', branch: 'main', from: 'feature/gears' },
      MONDAY_1030_BERLIN,
      undefined,
      'deny',
    ],
    [
      'bob branches (not a developer)',
      'create-branch',
      { repo: 'acme/widgets', branch: 'fix/b', from: 'main' },
      MONDAY_1030_BERLIN,
      bob,
      'deny',
    ],
    [
      'alice merges #7 (checks pass): held',
      'merge-pr',
      { repo: 'acme/widgets', pr: 7 },
      MONDAY_1030_BERLIN,
      undefined,
      'hold',
    ],
    [
      'alice merges #8 (checks fail)',
      'merge-pr',
      { repo: 'acme/widgets', pr: 8 },
      MONDAY_1030_BERLIN,
      undefined,
      'deny',
    ],
    [
      'alice merges #7 after hours',
      'merge-pr',
      { repo: 'acme/widgets', pr: 7 },
      MONDAY_1800_BERLIN,
      undefined,
      'deny',
    ],
  ])('%s', async (_name, tool, input, at, who, expected) => {
    expect(await decide(tool, input, at, who)).toBe(expected);
  });
});

describe('data-processing agent (UTC)', () => {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'warden-data-')));
  const workDir = path.join(root, 'work');
  const outside = path.join(root, 'outside');
  let decide: ReturnType<typeof decider>;
  let agent: AgentDefinition;

  beforeAll(() => {
    mkdirSync(outside, { recursive: true });
    writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    agent = createDataAgent({ workDir, fetch: async () => new Response('{"rate":1.1}') });
    symlinkSync(path.join(outside, 'secret.txt'), path.join(workDir, 'in', 'latest'));
    symlinkSync(outside, path.join(workDir, 'in', 'linked-dir'));
    symlinkSync(path.join(workDir, 'in'), path.join(workDir, 'out', 'into-input'));
    decide = decider(agent, 'data', 'UTC');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    ['reads an input file', 'read-file', { path: 'in/sales.csv' }, WEDNESDAY_1000_UTC, 'allow'],
    [
      'reads through a symlink to a file outside',
      'read-file',
      { path: 'in/latest' },
      WEDNESDAY_1000_UTC,
      'deny',
    ],
    [
      'reads through a symlinked directory',
      'read-file',
      { path: 'in/linked-dir/secret.txt' },
      WEDNESDAY_1000_UTC,
      'deny',
    ],
    [
      'reads with .. out of the work directory',
      'read-file',
      { path: '../outside/secret.txt' },
      WEDNESDAY_1000_UTC,
      'deny',
    ],
    [
      'reads with .. that stays inside in/',
      'read-file',
      { path: 'in/../in/sales.csv' },
      WEDNESDAY_1000_UTC,
      'deny',
    ],
    [
      'reads an absolute path outside',
      'read-file',
      { path: path.join(outside, 'secret.txt') },
      WEDNESDAY_1000_UTC,
      'deny',
    ],
    [
      'writes a new output file in the window',
      'write-file',
      { path: 'out/report.txt', content: 'x' },
      WEDNESDAY_1000_UTC,
      'allow',
    ],
    [
      'writes at 23:00',
      'write-file',
      { path: 'out/report.txt', content: 'x' },
      WEDNESDAY_2300_UTC,
      'deny',
    ],
    [
      'writes into in/',
      'write-file',
      { path: 'in/new.csv', content: 'x' },
      WEDNESDAY_1000_UTC,
      'deny',
    ],
    [
      'writes through an out/ symlink into in/',
      'write-file',
      { path: 'out/into-input/x.csv', content: 'x' },
      WEDNESDAY_1000_UTC,
      'deny',
    ],
    [
      'selects from orders',
      'query-table',
      { table: 'orders', operation: 'select', limit: 5 },
      WEDNESDAY_1000_UTC,
      'allow',
    ],
    [
      'deletes from orders',
      'query-table',
      { table: 'orders', operation: 'delete', limit: 5 },
      WEDNESDAY_1000_UTC,
      'deny',
    ],
    [
      'selects from customers',
      'query-table',
      { table: 'customers', operation: 'select', limit: 5 },
      WEDNESDAY_1000_UTC,
      'deny',
    ],
    [
      'fetches an allowlisted endpoint',
      'fetch-url',
      { url: 'https://api.example.com/rates' },
      WEDNESDAY_1000_UTC,
      'allow',
    ],
    [
      'fetches it over http',
      'fetch-url',
      { url: 'http://api.example.com/rates' },
      WEDNESDAY_1000_UTC,
      'deny',
    ],
    [
      'fetches another host',
      'fetch-url',
      { url: 'https://api.example.com.attacker.net/' },
      WEDNESDAY_1000_UTC,
      'deny',
    ],
  ])('%s', async (_name, tool, input, at, expected) => {
    expect(await decide(tool, input, at, principal({ agent: 'etl-agent' }))).toBe(expected);
  });
});
