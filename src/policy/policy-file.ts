import path from 'node:path';
import { checkParsePolicySet, policySetTextToParts, policyToJson } from './cedar.js';
import { byteLength, describeCedarError, positionAt } from './source-location.js';

/** One policy of a policy file, with what Warden reads from its annotations. */
export interface LoadedPolicy {
  /** `@id("...")` when given, else `<file name>:<line>`: what audit entries name. */
  readonly id: string;
  readonly file: string;
  readonly line: number;
  /** Where the policy starts in its file, in UTF-8 bytes (Cedar's unit for positions). */
  readonly byteOffset: number;
  readonly effect: 'permit' | 'forbid';
  /**
   * The role named by `@approval("role")`: this permit allows only once someone holding that role
   * has approved the exact call.
   */
  readonly approval: string | undefined;
  /** `@shadow`: evaluated and recorded, never enforced. */
  readonly shadow: boolean;
  readonly text: string;
}

/** Annotations Warden gives a meaning to. */
export const ANNOTATIONS = { id: 'id', approval: 'approval', shadow: 'shadow' } as const;

/** Splits a Cedar file into its policies; parse errors are returned as `file:line:col` lines. */
export function splitPolicyFile(source: { file: string; text: string }): {
  policies: LoadedPolicy[];
  errors: string[];
} {
  const parsed = checkParsePolicySet({ staticPolicies: source.text });
  if (parsed.type === 'failure') {
    return {
      policies: [],
      errors: parsed.errors.map((e) => describeCedarError(e, source.file, source.text)),
    };
  }

  const parts = policySetTextToParts(source.text);
  if (parts.type === 'failure') return { policies: [], errors: parts.errors.map((e) => e.message) };
  if (parts.policy_templates.length > 0) {
    return { policies: [], errors: [`${source.file}: policy templates are not supported`] };
  }

  const located = locateParts(source.text, parts.policies);
  const results = located.map(({ text, offset }) => readPolicy(source, text, offset));
  return {
    policies: results.flatMap((r) => (r.policy ? [r.policy] : [])),
    errors: results.flatMap((r) => r.errors),
  };
}

// Cedar returns the parts sorted by its internal ids (policy0, policy1, policy10, ...), each an
// exact slice of the text: find each one's offset, in file order.
function locateParts(text: string, parts: readonly string[]): { text: string; offset: number }[] {
  const used = new Set<number>();
  const located = parts.map((part) => {
    let offset = text.indexOf(part);
    while (used.has(offset)) offset = text.indexOf(part, offset + 1);
    used.add(offset);
    return { text: part, offset };
  });
  return located.sort((a, b) => a.offset - b.offset);
}

function readPolicy(
  source: { file: string; text: string },
  text: string,
  offset: number,
): { policy?: LoadedPolicy; errors: string[] } {
  const byteOffset = byteLength(source.text.slice(0, Math.max(offset, 0)));
  const line = positionAt(source.text, byteOffset).line;
  const where = `${source.file}:${line}`;
  const json = policyToJson(text);
  if (json.type === 'failure') return { errors: json.errors.map((e) => `${where}: ${e.message}`) };

  const annotations: Record<string, string | null> = json.json.annotations ?? {};
  const approval = annotations[ANNOTATIONS.approval];
  const id = annotations[ANNOTATIONS.id] ?? `${path.basename(source.file)}:${line}`;
  const errors = checkAnnotations(where, json.json.effect, approval);
  const policy: LoadedPolicy = {
    id,
    file: source.file,
    line,
    byteOffset,
    effect: json.json.effect,
    approval: approval ?? undefined,
    shadow: ANNOTATIONS.shadow in annotations,
    text,
  };
  return errors.length > 0 ? { errors } : { policy, errors };
}

function checkAnnotations(where: string, effect: string, approval: string | null | undefined) {
  if (approval === undefined) return [];
  if (approval === null || approval.trim() === '') {
    return [`${where}: @approval must name the approver role, e.g. @approval("manager")`];
  }
  if (effect === 'forbid') {
    return [`${where}: @approval applies to a permit; on a forbid it would never be consulted`];
  }
  return [];
}
