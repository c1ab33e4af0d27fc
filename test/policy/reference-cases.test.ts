import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCasesFile, runCases, type CasesFile } from '../../src/policy/cases.js';
import { createPolicyEngine, type PolicyEngine } from '../../src/policy/engine.js';
import { loadPolicyBundle } from '../../src/policy/load.js';
import { preparePolicy } from '../../src/policy/setup.js';
import { loadConfig } from '../../src/config/load.js';
import { formatCaseTable, runPolicyTest } from '../../src/cli/policy.js';
import { createSupportAgent } from '../../examples/support-agent/agent.js';
import { createDevAgent } from '../../examples/dev-agent/agent.js';
import { createDataAgent } from '../../examples/data-agent/agent.js';
import { silentLogger } from '../support/harness.js';
import { REPO } from './helpers.js';

/**
 * The reference agents' decision tables, and the echo agent's that the benchmark serves
 * (`policies/<agent>/cases.yaml`, the files `warden policy test` reads), one vitest row per case.
 */

const AGENTS = ['support', 'dev', 'data', 'echo'] as const;
const files = new Map(
  AGENTS.map((agent) => [agent, readCasesFile(path.join(REPO, 'policies', agent, 'cases.yaml'))]),
);
const engines = new Map<string, PolicyEngine>();

function engineFor(agent: string, cases: CasesFile): PolicyEngine {
  let engine = engines.get(agent);
  if (engine === undefined) {
    engine = createPolicyEngine(loadPolicyBundle({ schema: cases.schema, files: cases.policies }), {
      cache: { ttlMs: 0, maxEntries: 1 },
    });
    engines.set(agent, engine);
  }
  return engine;
}

describe.each(AGENTS)('%s agent policies', (agent) => {
  const cases = files.get(agent) as CasesFile;

  it.each(cases.cases)('$name: $expect', async (policyCase) => {
    const [result] = await runCases(engineFor(agent, cases), { ...cases, cases: [policyCase] });

    expect(result, formatCaseTable(result ? [result] : [])).toMatchObject({ passed: true });
  });
});

describe('each example agent and its configured policies', () => {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'warden-data-agent-'));
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it.each([
    ['examples/dev-agent/warden.yaml', () => createDevAgent()],
    ['examples/data-agent/warden.yaml', () => createDataAgent({ workDir })],
    ['config/warden.dev.yaml', () => createSupportAgent()],
  ])('%s: the schema declares every skill and tool the agent has', (file, agent) => {
    const config = loadConfig(path.join(REPO, file));

    expect(
      preparePolicy(config, agent(), silentLogger)?.engine.current().policies.length,
    ).toBeGreaterThan(0);
  });
});

describe('warden policy test', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-cases-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a table and exits 1 when a decision differs from the expected one', async () => {
    const source = readFileSync(path.join(REPO, 'policies/support/cases.yaml'), 'utf8');
    const wrong = source
      .replaceAll(
        'schema: schema.cedarschema',
        `schema: ${path.join(REPO, 'policies/support/schema.cedarschema')}`,
      )
      .replaceAll(
        'policies: [support.cedar]',
        `policies: [${path.join(REPO, 'policies/support/support.cedar')}]`,
      )
      .replace(
        'input: { amountCents: 4999 }\n    expect: allow',
        'input: { amountCents: 4999 }\n    expect: hold',
      );
    const file = path.join(dir, 'cases.yaml');
    writeFileSync(file, wrong);
    let output = '';

    const code = await runPolicyTest(file, (text) => (output += text));

    expect(code).toBe(1);
    expect(output).toMatch(
      /^16\s+FAIL\s+a refund of \$49\.99\s+issue-refund\s+hold\s+allow\s+support\.refunds\.small$/m,
    );
    expect(output).toContain('19 passed, 1 failed');
  });
});
