import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPolicyEngine, type PolicyEngine } from '../src/policy/engine.js';
import { parsePolicyBundle } from '../src/policy/load.js';
import type { CedarRequest } from '../src/policy/decision.js';
import { soakPolicy, type SoakReport } from './policy-soak.js';

/**
 * Cedar decision latency, as Warden's engine makes decisions: one `statefulIsAuthorized` call on a
 * preparsed set (uncached), or a lookup of the whole decision input (cached). Policy sets of 10,
 * 100 and 1,000 policies spread over 20 actions, the request naming one of them, as a real agent's
 * set would; each permit reads the resource's attributes, the principal's roles and the context.
 *
 * `tsx bench/policy.ts` prints the table; `--soak 60` also drives a Warden server with the
 * support agent's policies under HTTP load for 60 s and checks it survived (the V8 JS-to-Wasm
 * crash, see `src/policy/v8-guard.ts`); `--unguarded` runs that server without the guard.
 */

const SIZES = [10, 100, 1000] as const;
const ACTIONS = 20;
const WARMUP = 300;
const SAMPLES = 3000;

/** Decision p50/p99 in microseconds per policy-set size, cached and uncached. */
export async function benchPolicy(): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  for (const size of SIZES) {
    const uncached = createPolicyEngine(bundleOf(size), { cache: { ttlMs: 0, maxEntries: 1 } });
    const cached = createPolicyEngine(bundleOf(size), {
      cache: { ttlMs: 60_000, maxEntries: 10_000 },
    });
    Object.assign(
      figures,
      measure(`decision_${size}_uncached`, uncached),
      measure(`decision_${size}_cached`, cached),
    );
  }
  return figures;
}

function measure(name: string, engine: PolicyEngine): Record<string, number> {
  const requests = Array.from({ length: 64 }, (_, i) => requestFor(i));
  for (let i = 0; i < WARMUP; i += 1) engine.decide(requests[i % requests.length] as CedarRequest);

  const samples = new Float64Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i += 1) {
    const request = requests[i % requests.length] as CedarRequest;
    const started = performance.now();
    engine.decide(request);
    samples[i] = (performance.now() - started) * 1000;
  }
  samples.sort();
  return {
    [`${name}_p50_us`]: percentile(samples, 50),
    [`${name}_p99_us`]: percentile(samples, 99),
  };
}

function percentile(sorted: Float64Array, p: number): number {
  const value = sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
  return Math.round(value * 10) / 10;
}

const SCHEMA = `entity Document = { owner: User, classification: Long, tags: Set<String> };
action ${Array.from({ length: ACTIONS }, (_, a) => `"act-${a}"`).join(', ')}
  appliesTo {
    principal: [Agent],
    resource: [Document],
    context: { time: WardenTime, input: { amount: Long } },
  };
`;

function bundleOf(size: number) {
  const policies = Array.from({ length: size }, (_, i) => policyText(i)).join('\n');
  return parsePolicyBundle({ file: 'bench.cedarschema', text: SCHEMA }, [
    { file: 'bench.cedar', text: policies },
  ]);
}

function policyText(i: number): string {
  const action = `Action::"act-${i % ACTIONS}"`;
  if (i % 10 === 9) {
    const limit = 90 + (i % 7);
    const condition = `resource.classification > ${limit}`;
    return `forbid (principal, action == ${action}, resource) when { ${condition} };`;
  }
  return `permit (principal, action == ${action}, resource is Document) when {
  principal has user &&
  (resource.owner == principal.user || principal.roles.contains("role-${i % 13}")) &&
  context.input.amount < ${1000 + i} &&
  resource.tags.contains("tag-${i % 5}") &&
  context.time.hour >= ${i % 9}
};`;
}

function requestFor(i: number): CedarRequest {
  const agent = { type: 'Agent', id: 'peer-agent-a' };
  const user = { type: 'User', id: `user-${i % 4}` };
  const doc = { type: 'Document', id: `doc-${i}` };
  const time = {
    iso: '2025-01-06T10:30+00:00',
    date: '2025-01-06',
    hour: 10,
    minute: 30,
    weekday: 'Mon',
    zone: 'UTC',
  };
  return {
    principal: agent,
    action: { type: 'Action', id: 'act-3' },
    resource: doc,
    context: { time, input: { amount: 500 + i } },
    entities: [
      {
        uid: agent,
        attrs: {
          issuer: 'https://idp',
          scopes: ['a', 'b'],
          roles: [],
          groups: [],
          delegationDepth: 1,
          actors: ['peer-agent-a'],
          user: { __entity: user },
        },
        parents: [],
      },
      { uid: user, attrs: { roles: ['role-3'], groups: [] }, parents: [] },
      {
        uid: doc,
        attrs: { owner: { __entity: user }, classification: i % 100, tags: ['tag-3', 'tag-1'] },
        parents: [],
      },
    ],
  };
}

/** The figures as a table: one row per set size. */
export function formatPolicyFigures(figures: Record<string, number>): string {
  const columns = ['uncached_p50', 'uncached_p99', 'cached_p50', 'cached_p99'];
  const cell = (size: number, column: string) => {
    const [cache, p] = column.split('_');
    return (figures[`decision_${size}_${cache}_${p}_us`] ?? Number.NaN).toFixed(1).padStart(14);
  };
  const header = ['policies'.padEnd(9), ...columns.map((c) => c.replace('_', ' ').padStart(14))];
  const rows = SIZES.map((size) => [String(size).padEnd(9), ...columns.map((c) => cell(size, c))]);
  return [`${header.join('')}   (microseconds)`, ...rows.map((row) => row.join(''))].join('\n');
}

function formatSoak(report: SoakReport): string {
  const decisions = report.decisions.survived ? 'survived' : `DIED (${report.decisions.exit})`;
  const server = report.exit === 'code 0' ? 'survived' : `DIED (${report.exit})`;
  const guard = report.guarded ? 'with the V8 guard' : 'WITHOUT the V8 guard';
  return [
    `soak ${guard}, ${report.durationSec} s:`,
    `  engine decisions in a loop: ${decisions}`,
    `  HTTP: ${report.requests} requests (${report.errors} errors), server ${server}`,
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      soak: { type: 'string' },
      unguarded: { type: 'boolean', default: false },
      'skip-bench': { type: 'boolean', default: false },
    },
  });
  if (!values['skip-bench']) process.stdout.write(`${formatPolicyFigures(await benchPolicy())}\n`);
  if (values.soak === undefined) return 0;

  const report = await soakPolicy({ durationSec: Number(values.soak), guarded: !values.unguarded });
  process.stdout.write(`${formatSoak(report)}\n`);
  return report.survived && report.errors === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `bench/policy failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
