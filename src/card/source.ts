import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { WardenError } from '../errors.js';

/**
 * The Agent Card source: what an agent author writes (YAML or JSON) to describe the agent. Warden
 * adds what it decides itself (interfaces, security schemes, `extendedAgentCard`) when it builds
 * the card. Every object is strict, because a misspelt key such as `extendedonly` or `scope` would
 * otherwise be dropped in silence and publish a skill, or weaken one, without anyone noticing.
 */

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const scopeToken = z
  .string()
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'must be an OAuth scope token (RFC 6749 §3.3)');

/** A media type without parameters, e.g. `application/json` (RFC 6838 §4.2 restricted names). */
const mediaType = z
  .string()
  .regex(/^[\w!#$&^.+-]+\/[\w!#$&^.+-]+$/, 'must be a media type such as application/json');

const webUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const text = z.string().trim().min(1, 'must not be empty');

const skillSchema = z.strictObject({
  /** Stable identifier; policy actions and the request gate refer to it. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be letters, digits, . _ : or -'),
  name: text,
  description: text,
  tags: z.array(text).min(1, 'must list at least one tag'),
  examples: z.array(text).default([]),
  /** Every scope here is required to invoke the skill (all of them, not any one). */
  scopes: z.array(scopeToken),
  inputModes: z.array(mediaType).optional(),
  outputModes: z.array(mediaType).optional(),
  /** Listed only in the authenticated extended card. */
  extendedOnly: z.boolean().default(false),
});

const cardSourceObject = z.strictObject({
  name: text,
  description: text,
  version: text,
  provider: z.strictObject({ organization: text, url: webUrl }).optional(),
  documentationUrl: webUrl.optional(),
  iconUrl: webUrl.optional(),
  defaultInputModes: z.array(mediaType).min(1, 'must list at least one media type'),
  defaultOutputModes: z.array(mediaType).min(1, 'must list at least one media type'),
  // `extendedAgentCard` is absent on purpose: Warden always serves the extended card.
  capabilities: z
    .strictObject({
      streaming: z.boolean().default(false),
      pushNotifications: z.boolean().default(false),
    })
    .default({ streaming: false, pushNotifications: false }),
  /** Every scope the agent uses, with the description shown in the OAuth2 flow's scopes map. */
  scopes: z.record(scopeToken, text),
  skills: z.array(skillSchema).min(1, 'must declare at least one skill'),
});

const cardSourceSchema = cardSourceObject.superRefine(checkSkills);

/** A validated Agent Card source, defaults applied. */
export type CardSource = z.infer<typeof cardSourceSchema>;

/** One skill of a {@link CardSource}. */
export type CardSkillSource = CardSource['skills'][number];

/**
 * Reads and validates an Agent Card source file (YAML, or JSON, which YAML 1.2 contains). Any
 * problem throws `ERR_AGENT_CARD_INVALID` with a message naming the file and the key path.
 *
 * @example
 * const source = loadCardSource('/etc/warden/agent-card.yaml');
 */
export function loadCardSource(file: string): CardSource {
  const raw = readSourceFile(file);

  const parsed = cardSourceSchema.safeParse(raw);
  if (!parsed.success) {
    throw new WardenError('ERR_AGENT_CARD_INVALID', describeIssues(parsed.error, file));
  }

  return parsed.data;
}

/**
 * The table the request gate enforces: skill id to the scopes a token needs, all of them, to
 * invoke that skill. It covers every skill, `extendedOnly` ones included.
 */
export function skillScopes(source: CardSource): ReadonlyMap<string, readonly string[]> {
  return new Map(source.skills.map((skill) => [skill.id, Object.freeze([...skill.scopes])]));
}

function readSourceFile(file: string): unknown {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new WardenError('ERR_AGENT_CARD_INVALID', `cannot read Agent Card source ${file}`, {
      cause,
    });
  }

  // The yaml parser rejects duplicate keys, which JSON.parse would resolve by keeping the last.
  const document = parseDocument(content, { prettyErrors: true });
  const [first] = document.errors;
  if (first) {
    throw new WardenError(
      'ERR_AGENT_CARD_INVALID',
      `${file}: not valid YAML/JSON: ${first.message}`,
    );
  }
  return document.toJS();
}

/** Cross-field rules zod cannot state per field. */
function checkSkills(source: z.output<typeof cardSourceObject>, context: z.RefinementCtx): void {
  const seen = new Set<string>();

  source.skills.forEach((skill, index) => {
    if (seen.has(skill.id)) {
      context.addIssue({
        code: 'custom',
        path: ['skills', index, 'id'],
        message: `duplicate skill id "${skill.id}"`,
      });
    }
    seen.add(skill.id);

    checkSkillScopes(skill, index, source.scopes, context);
  });

  // AgentCard.skills is REQUIRED; a public card whose skills are all extended-only would have none.
  if (source.skills.every((skill) => skill.extendedOnly)) {
    context.addIssue({
      code: 'custom',
      path: ['skills'],
      message: 'at least one skill must be public (not extendedOnly)',
    });
  }
}

function checkSkillScopes(
  skill: CardSkillSource,
  index: number,
  declared: Readonly<Record<string, string>>,
  context: z.RefinementCtx,
): void {
  const seen = new Set<string>();

  skill.scopes.forEach((scope, position) => {
    const path = ['skills', index, 'scopes', position];
    if (!Object.hasOwn(declared, scope)) {
      context.addIssue({
        code: 'custom',
        path,
        message: `scope "${scope}" is not declared under "scopes"`,
      });
    }
    if (seen.has(scope)) {
      context.addIssue({ code: 'custom', path, message: `scope "${scope}" is listed twice` });
    }
    seen.add(scope);
  });
}

function describeIssues(error: z.ZodError, file: string): string {
  const lines = error.issues.map((issue) => `  ${formatPath(issue.path)}: ${issueMessage(issue)}`);

  return `invalid Agent Card source ${file}:\n${lines.join('\n')}`;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  // A record key's own message sits one level down; the outer one only says "Invalid key".
  if (issue.code === 'invalid_key') {
    return `invalid key: ${issue.issues[0]?.message ?? issue.message}`;
  }
  return issue.message;
}

/** `skills[1].scopes[0]`, `scopes["support.read"]`: scope names contain dots, so quote them. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) {
    return '(root)';
  }

  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const name = String(segment);
      if (/^[A-Za-z_$][\w$]*$/.test(name)) return index === 0 ? name : `.${name}`;
      return `[${JSON.stringify(name)}]`;
    })
    .join('');
}
