import type { Principal } from '../auth/principal.js';
import type { CedarValueJson, EntityJson, TypeAndId } from './cedar.js';
import { ENTITY_TYPES } from './prelude.js';

/** The Cedar principal of a call and the entities that describe it. */
export interface PrincipalEntities {
  readonly uid: TypeAndId;
  readonly entities: EntityJson[];
}

/**
 * Builds `Agent::"<client id>"` and, when the agent acts for someone, `User::"<sub>"` from the
 * verified principal. The token's roles, groups and string attributes describe its subject: the
 * user when there is one (a delegated token), else the agent itself (client credentials).
 */
export function principalEntities(principal: Principal): PrincipalEntities {
  const facts = readFacts(principal);
  const uid = { type: ENTITY_TYPES.agent, id: principal.agent };
  const user = principal.user && { type: ENTITY_TYPES.user, id: principal.user };
  const ownRoles = user ? [] : facts.roles;
  const ownGroups = user ? [] : facts.groups;

  const agent: EntityJson = {
    uid,
    attrs: {
      issuer: principal.issuer,
      scopes: [...principal.scopes].sort(),
      roles: ownRoles,
      groups: ownGroups,
      ...tenantAttr(facts.tenant),
      delegationDepth: facts.delegationDepth,
      actors: [...principal.actors],
      ...(user ? { user: { __entity: user } } : {}),
    },
    parents: [],
  };
  if (!user) return { uid, entities: [agent] };

  const attrs = { roles: facts.roles, groups: facts.groups, ...tenantAttr(facts.tenant) };
  return { uid, entities: [agent, { uid: user, attrs, parents: [], tags: facts.tags }] };
}

/** The delegation depth: how many agents stand between the user and this call. */
export function delegationDepthOf(principal: Principal): number {
  return readFacts(principal).delegationDepth;
}

interface PrincipalFacts {
  roles: string[];
  groups: string[];
  tenant: string | undefined;
  delegationDepth: number;
  tags: Record<string, CedarValueJson>;
}

// Roles, groups, tenant, depth and attributes come from the token's claims through the issuer's
// claim mapping; they are read defensively so a principal without them still gets a decision.
function readFacts(principal: Principal): PrincipalFacts {
  const fields = principal as unknown as Readonly<Record<string, unknown>>;
  const depth = fields['delegationDepth'];

  return {
    roles: stringsOf(fields['roles']),
    groups: stringsOf(fields['groups']),
    tenant: typeof fields['tenant'] === 'string' ? fields['tenant'] : undefined,
    delegationDepth: typeof depth === 'number' ? depth : principal.actors.length,
    tags: stringRecordOf(fields['attributes']),
  };
}

function tenantAttr(tenant: string | undefined): { tenant?: string } {
  return tenant === undefined ? {} : { tenant };
}

function stringsOf(value: unknown): string[] {
  const items = value instanceof Set ? [...value] : Array.isArray(value) ? value : [];
  const strings = items.filter((item): item is string => typeof item === 'string');
  return [...new Set(strings)].sort();
}

function stringRecordOf(value: unknown): Record<string, CedarValueJson> {
  if (typeof value !== 'object' || value === null) return {};

  const entries = Object.entries(value).filter(([, v]) => typeof v === 'string');
  return Object.fromEntries(entries) as Record<string, CedarValueJson>;
}
