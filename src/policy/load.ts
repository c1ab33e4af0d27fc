import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { WardenError } from '../errors.js';
import { checkParseSchema, validate, type DetailedError } from './cedar.js';
import { SCHEMA_PRELUDE } from './prelude.js';
import { readSchemaShape, type SchemaShape } from './schema-shape.js';
import { byteLength, describeCedarError } from './source-location.js';
import { splitPolicyFile, type LoadedPolicy } from './policy-file.js';

export type { LoadedPolicy } from './policy-file.js';

/** A source file and its text. */
export interface SourceFile {
  readonly file: string;
  readonly text: string;
}

/** Where the schema and the policies are: files, or directories of `*.cedar` files. */
export interface PolicySources {
  readonly schema: string;
  readonly files: readonly string[];
}

/** A schema and policy set that parsed and validated, ready for the engine. */
export interface PolicyBundle {
  /** The schema Cedar sees: Warden's prelude followed by the schema file. */
  readonly schemaText: string;
  readonly policies: readonly LoadedPolicy[];
  readonly shape: SchemaShape;
  /** SHA-256 (base64url) of the schema and every policy: the audit's `policySetHash`. */
  readonly hash: string;
  /** Cedar's validation warnings, one line each, for the log. */
  readonly warnings: readonly string[];
}

/**
 * Reads, parses and validates (Cedar strict mode) a schema and its policies. Any problem throws
 * `ERR_POLICY_INVALID` listing every error as `file:line:column: message`, so a malformed set never
 * reaches the engine and a server never starts half-configured.
 */
export function loadPolicyBundle(sources: PolicySources): PolicyBundle {
  const schema = readSource(sources.schema);
  const files = sources.files.flatMap(expandPolicyPath).map(readSource);

  return parsePolicyBundle(schema, files);
}

/** {@link loadPolicyBundle} over texts already read. */
export function parsePolicyBundle(schema: SourceFile, files: readonly SourceFile[]): PolicyBundle {
  const schemaText = SCHEMA_PRELUDE + schema.text;
  const errors = checkSchema(schema, schemaText);
  const split = files.map(splitPolicyFile);
  errors.push(...split.flatMap((s) => s.errors), ...checkIds(split.flatMap((s) => s.policies)));
  if (files.length === 0) errors.push('policy.files: names no policy file');
  throwIfAny(errors);

  const policies = split.flatMap((s) => s.policies);
  const validation = validatePolicies(schemaText, policies, files);
  throwIfAny(validation.errors);

  return {
    schemaText,
    policies,
    shape: readSchemaShape(schemaText),
    hash: hashOf(schemaText, policies),
    warnings: validation.warnings,
  };
}

function readSource(file: string): SourceFile {
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (cause) {
    throw new WardenError('ERR_POLICY_INVALID', `cannot read ${file}`, { cause });
  }
}

function expandPolicyPath(entry: string): string[] {
  let isDirectory = false;
  try {
    isDirectory = statSync(entry).isDirectory();
  } catch {
    return [entry]; // reading it reports the error with its name
  }
  if (!isDirectory) return [entry];

  const names = readdirSync(entry).filter((name) => name.endsWith('.cedar'));
  return names.sort().map((name) => path.join(entry, name));
}

function checkSchema(schema: SourceFile, schemaText: string): string[] {
  const answer = checkParseSchema(schemaText);
  if (answer.type === 'success') return [];

  return answer.errors.map((error) => describeSchemaError(error, schema));
}

// The prelude comes first in the text Cedar parsed; a position inside it means the schema file
// redeclared one of Warden's types, so the user's own position (when Cedar gives one) is reported.
function describeSchemaError(error: DetailedError, schema: SourceFile): string {
  const preludeBytes = byteLength(SCHEMA_PRELUDE);
  const locations = error.sourceLocations ?? [];
  const inFile = locations.find((location) => location.start >= preludeBytes);
  const shifted = inFile && { ...inFile, start: inFile.start - preludeBytes };
  const note = locations.some((l) => l.start < preludeBytes)
    ? ' [clashes with the Warden prelude]'
    : '';
  const adjusted = { ...error, sourceLocations: shifted ? [shifted] : [] };

  return describeCedarError(adjusted, schema.file, schema.text) + note;
}

function checkIds(policies: readonly LoadedPolicy[]): string[] {
  const seen = new Map<string, LoadedPolicy>();
  const errors: string[] = [];
  for (const policy of policies) {
    const first = seen.get(policy.id);
    if (first !== undefined) {
      const where = `${policy.file}:${policy.line}`;
      errors.push(`${where}: policy id "${policy.id}" is also used at ${first.file}:${first.line}`);
    }
    seen.set(policy.id, policy);
  }
  return errors;
}

function validatePolicies(
  schemaText: string,
  policies: readonly LoadedPolicy[],
  files: readonly SourceFile[],
): { errors: string[]; warnings: string[] } {
  const staticPolicies = Object.fromEntries(policies.map((p) => [p.id, p.text]));
  const answer = validate({
    schema: schemaText,
    policies: { staticPolicies },
    validationSettings: { mode: 'strict' },
  });
  if (answer.type === 'failure')
    return { errors: answer.errors.map((e) => e.message), warnings: [] };

  const byId = new Map(policies.map((p) => [p.id, p]));
  const texts = new Map(files.map((f) => [f.file, f.text]));
  const describe = ({ policyId, error }: { policyId: string; error: DetailedError }) => {
    const policy = byId.get(policyId);
    if (policy === undefined) return error.message;
    return describeCedarError(error, policy.file, texts.get(policy.file) ?? '', policy.byteOffset);
  };
  return {
    errors: answer.validationErrors.map(describe),
    warnings: [
      ...answer.validationWarnings.map(describe),
      ...answer.otherWarnings.map((w) => w.message),
    ],
  };
}

function hashOf(schemaText: string, policies: readonly LoadedPolicy[]): string {
  const hash = createHash('sha256').update(schemaText);
  for (const policy of policies) hash.update(`\u0000${policy.id}\u0000${policy.text}`);
  return hash.digest('base64url');
}

function throwIfAny(errors: readonly string[]): void {
  if (errors.length === 0) return;

  const lines = errors.map((error) => `  ${error}`).join('\n');
  throw new WardenError('ERR_POLICY_INVALID', `policy set is invalid:\n${lines}`);
}
