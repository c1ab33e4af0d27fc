import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isWardenError } from '../../src/errors.js';
import { loadPolicyBundle, parsePolicyBundle } from '../../src/policy/load.js';

const SCHEMA = `entity Order = { totalCents: Long };
action "refund" appliesTo {
  principal: [Agent], resource: [Order], context: { input: { amountCents: Long } },
};
`;

function parse(policies: string, schema = SCHEMA) {
  return parsePolicyBundle({ file: 'schema.cedarschema', text: schema }, [
    { file: 'policies/p.cedar', text: policies },
  ]);
}

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isWardenError(error, 'ERR_POLICY_INVALID')) return error.message;
    throw error;
  }
  throw new Error('expected ERR_POLICY_INVALID');
}

describe('loading a policy set', () => {
  it('reads ids, lines and annotations', () => {
    const bundle = parse(`// refunds
@id("small")
permit (principal, action == Action::"refund", resource) when { context.input.amountCents < 5000 };

@approval("manager")
permit (principal, action == Action::"refund", resource) when { context.input.amountCents >= 5000 };

@shadow
forbid (principal, action, resource) when { resource.totalCents > 100000 };
`);

    expect(bundle.policies.map((p) => [p.id, p.line, p.effect, p.approval, p.shadow])).toEqual([
      ['small', 2, 'permit', undefined, false],
      ['p.cedar:5', 5, 'permit', 'manager', false],
      ['p.cedar:8', 8, 'forbid', undefined, true],
    ]);
    expect(bundle.hash).toMatch(/^[\w-]{43}$/);
  });

  it.each([
    [
      'a syntax error, with file, line and column',
      'permit (principal, action resource);',
      'policies/p.cedar:1:27: failed to parse policies from string: unexpected token `resource`',
    ],
    [
      'an attribute the schema does not declare',
      'permit (principal, action == Action::"refund", resource)\n' +
        '  when { resource.owner == principal };',
      'policies/p.cedar:2:10: for policy `p.cedar:1`, ' +
        'attribute `owner` on entity type `Order` not found',
    ],
    [
      'a type error in the context',
      'permit (principal, action == Action::"refund", resource)\n' +
        '  when { context.input.amountCents == "5" };',
      'policies/p.cedar:2:',
    ],
    [
      '@approval on a forbid',
      '@approval("manager")\nforbid (principal, action, resource);',
      'policies/p.cedar:1: @approval applies to a permit',
    ],
    [
      '@approval without a role',
      '@approval\npermit (principal, action, resource);',
      'policies/p.cedar:1: @approval must name the approver role',
    ],
    [
      'a duplicate id',
      '@id("x") permit (principal, action, resource);\n' +
        '@id("x") forbid (principal, action, resource);',
      'policies/p.cedar:2: policy id "x" is also used at policies/p.cedar:1',
    ],
  ])('refuses %s', (_name, policies, expected) => {
    expect(errorOf(() => parse(policies))).toContain(expected);
  });

  it('refuses a malformed schema, naming its file and line', () => {
    const message = errorOf(() =>
      parse('permit (principal, action, resource);', 'entity Order = {\n  total: Lng };'),
    );

    expect(message).toMatch(/^policy set is invalid:\n {2}schema\.cedarschema/);
  });

  it('refuses a schema that redeclares a Warden type', () => {
    const message = errorOf(() =>
      parse('permit (principal, action, resource);', `${SCHEMA}entity Agent;`),
    );

    expect(message).toContain('`Agent` is declared twice');
    expect(message).toContain('schema.cedarschema:5:8');
    expect(message).toContain('[clashes with the Warden prelude]');
  });

  it('refuses an empty policy file list', () => {
    const message = errorOf(() => parsePolicyBundle({ file: 's', text: SCHEMA }, []));

    expect(message).toContain('policy.files: names no policy file');
  });
});

describe('reading policy files', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-policy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a directory of .cedar files in name order', () => {
    writeFileSync(path.join(dir, 'schema.cedarschema'), SCHEMA);
    writeFileSync(path.join(dir, 'b.cedar'), '@id("b") permit (principal, action, resource);');
    writeFileSync(path.join(dir, 'a.cedar'), '@id("a") forbid (principal, action, resource);');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a policy');

    const bundle = loadPolicyBundle({ schema: path.join(dir, 'schema.cedarschema'), files: [dir] });

    expect(bundle.policies.map((p) => p.id)).toEqual(['a', 'b']);
  });

  it('names a file it cannot read', () => {
    const missing = path.join(dir, 'missing.cedar');
    const message = errorOf(() =>
      loadPolicyBundle({ schema: path.join(dir, 'schema.cedarschema'), files: [missing] }),
    );

    expect(message).toBe(`cannot read ${missing}`);
  });
});
