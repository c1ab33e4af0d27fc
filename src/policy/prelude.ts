/**
 * Warden's own part of every Cedar schema, prepended to the schema file `policy.schema` names.
 * Warden builds these entities from the verified access token, so their shape is Warden's, not the
 * agent author's: the author's schema declares resources and actions, and uses these types.
 * Documented in `docs/policy.md`; keep the two in step.
 */
export const SCHEMA_PRELUDE = `// ---- Warden prelude (docs/policy.md) ----
entity User = {
  roles: Set<String>,
  groups: Set<String>,
  tenant?: String,
} tags String;
entity Agent = {
  issuer: String,
  scopes: Set<String>,
  roles: Set<String>,
  groups: Set<String>,
  tenant?: String,
  delegationDepth: Long,
  actors: Set<String>,
  user?: User,
};
entity Skill;
entity Tool;
type WardenTime = {
  iso: String,
  date: String,
  hour: Long,
  minute: Long,
  weekday: String,
  zone: String,
};
type WardenTask = { id: String, contextId: String };
// ---- end of the Warden prelude ----
`;

/** The entity types of the prelude, by role. */
export const ENTITY_TYPES = {
  agent: 'Agent',
  user: 'User',
  skill: 'Skill',
  tool: 'Tool',
} as const;

/** The context attributes Warden can fill; an action's schema picks the ones it needs. */
export const CONTEXT_ATTRIBUTES = ['time', 'task', 'delegationDepth', 'input'] as const;

/** One of {@link CONTEXT_ATTRIBUTES}. */
export type ContextAttribute = (typeof CONTEXT_ATTRIBUTES)[number];
