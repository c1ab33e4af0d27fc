import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import { WardenError } from '../errors.js';
import type { CedarValueJson } from './cedar.js';
import type { EntityResolvers } from './declarations.js';
import type { EngineDecision, PolicyEngine } from './engine.js';
import { buildCedarRequest } from './request.js';
import { ENTITY_TYPES } from './prelude.js';

const entityRef = z.strictObject({ type: z.string().min(1), id: z.string() });
const entity = entityRef.extend({
  attrs: z.record(z.string(), z.unknown()).default({}),
  parents: z.array(entityRef).default([]),
});
const caseSchema = z.strictObject({
  name: z.string().min(1),
  principal: z.strictObject({
    agent: z.string().min(1),
    user: z.string().min(1).optional(),
    issuer: z.string().default('https://idp.example'),
    scopes: z.array(z.string()).default([]),
    roles: z.array(z.string()).default([]),
    groups: z.array(z.string()).default([]),
    tenant: z.string().optional(),
    /** The RFC 8693 actor chain; default: the agent, when it acts for a user. */
    actors: z.array(z.string()).optional(),
  }),
  action: z.string().min(1),
  /** Default: `Skill::"<action>"`. Attributes and parents come from `entities`. */
  resource: entityRef.optional(),
  /** `context.input`. */
  input: z.record(z.string(), z.unknown()).default({}),
  /** The instant of `context.time`, ISO 8601, read in the file's time zone. */
  time: z.iso.datetime({ offset: true }).default('2025-01-06T12:00:00Z'),
  expect: z.enum(['allow', 'deny', 'hold']),
  /** For `hold`: the approver roles expected, in any order. */
  approverRoles: z.array(z.string()).optional(),
});

/** A policy test file: where the policies are, the entities cases share, and the cases. */
export const casesFileSchema = z.strictObject({
  /** Relative to the cases file. */
  schema: z.string().min(1),
  policies: z.array(z.string().min(1)).nonempty(),
  timeZone: z.string().default('UTC'),
  entities: z.array(entity).default([]),
  cases: z.array(caseSchema).nonempty(),
});

/** A parsed case file, paths made absolute. */
export type CasesFile = z.infer<typeof casesFileSchema>;
type PolicyCase = CasesFile['cases'][number];

/** One case's outcome. */
export interface CaseResult {
  readonly name: string;
  readonly action: string;
  readonly expected: string;
  readonly actual: string;
  readonly policies: readonly string[];
  readonly passed: boolean;
  /** Why a request could not be built or Cedar refused it, when it did. */
  readonly errors: readonly string[];
}

/** Reads a case file (YAML); `ERR_POLICY_CASES` names the key that is wrong. */
export function readCasesFile(file: string): CasesFile {
  let raw: unknown;
  try {
    raw = parseDocument(readFileSync(file, 'utf8')).toJS();
  } catch (cause) {
    throw new WardenError('ERR_POLICY_CASES', `cannot read ${file}`, { cause });
  }
  const parsed = casesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`,
    );
    throw new WardenError(
      'ERR_POLICY_CASES',
      `invalid policy cases in ${file}:\n${issues.join('\n')}`,
    );
  }

  const dir = path.dirname(file);
  const resolve = (p: string) => path.resolve(dir, p);
  return {
    ...parsed.data,
    schema: resolve(parsed.data.schema),
    policies: parsed.data.policies.map(resolve) as [string, ...string[]],
  };
}

/**
 * Runs every case through the same request building the guard uses (principal entities, context
 * from the action's schema, the resource and its ancestors), with the file's `entities` standing
 * in for the agent's resolvers.
 */
export async function runCases(engine: PolicyEngine, cases: CasesFile): Promise<CaseResult[]> {
  const resolvers = resolversOf(cases.entities);
  const results: CaseResult[] = [];
  for (const [index, policyCase] of cases.cases.entries()) {
    results.push(await runCase(engine, cases.timeZone, resolvers, policyCase, index));
  }
  return results;
}

async function runCase(
  engine: PolicyEngine,
  timeZone: string,
  resolvers: EntityResolvers,
  policyCase: PolicyCase,
  index: number,
): Promise<CaseResult> {
  const resource = policyCase.resource ?? { type: ENTITY_TYPES.skill, id: policyCase.action };
  const call = {
    kind: 'tool' as const,
    name: policyCase.action,
    input: policyCase.input,
    policy: { resource: () => resource },
    principal: principalOf(policyCase.principal),
    taskId: `case-${index + 1}`,
    contextId: 'policy-test',
  };
  const options = {
    shape: engine.current().shape,
    resolvers,
    timeZone,
    now: new Date(policyCase.time),
  };
  const built = await buildCedarRequest(call, options);
  const decision = built.ok ? engine.decide(built.request) : undefined;
  return resultOf(policyCase, decision, built.ok ? [] : [built.message]);
}

function resultOf(
  policyCase: PolicyCase,
  decision: EngineDecision | undefined,
  errors: string[],
): CaseResult {
  const actual = decision?.outcome ?? 'deny';
  const rolesMatch =
    policyCase.approverRoles === undefined ||
    [...policyCase.approverRoles].sort().join() ===
      [...(decision?.approverRoles ?? [])].sort().join();
  return {
    name: policyCase.name,
    action: policyCase.action,
    expected:
      policyCase.expect +
      (policyCase.approverRoles ? `:${policyCase.approverRoles.join(',')}` : ''),
    actual: actual + (actual === 'hold' ? `:${decision?.approverRoles.join(',') ?? ''}` : ''),
    policies: decision?.policies ?? [],
    passed: actual === policyCase.expect && rolesMatch,
    errors: [...errors, ...(decision?.errors ?? [])],
  };
}

function resolversOf(entities: CasesFile['entities']): EntityResolvers {
  const byType = new Map<string, Map<string, CasesFile['entities'][number]>>();
  for (const entity of entities) {
    const ofType = byType.get(entity.type) ?? new Map();
    ofType.set(entity.id, entity);
    byType.set(entity.type, ofType);
  }
  return Object.fromEntries(
    [...byType].map(([type, ofType]) => [
      type,
      (id: string) => {
        const found = ofType.get(id);
        return (
          found && { attrs: found.attrs as Record<string, CedarValueJson>, parents: found.parents }
        );
      },
    ]),
  );
}

/** The principal a verified token would have given, from a case's description. */
function principalOf(described: PolicyCase['principal']): Principal {
  const actors = described.actors ?? (described.user === undefined ? [] : [described.agent]);
  return {
    issuer: described.issuer,
    agent: described.agent,
    user: described.user,
    actors,
    delegationDepth: actors.length,
    scopes: new Set(described.scopes),
    roles: new Set(described.roles),
    groups: new Set(described.groups),
    tenant: described.tenant,
    tokenId: undefined,
    expiresAt: 0,
    tokenKind: 'jwt',
    dpopKeyThumbprint: undefined,
  } as Principal;
}
