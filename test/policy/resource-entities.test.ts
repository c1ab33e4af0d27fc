import { describe, expect, it } from 'vitest';
import { createPolicyEngine } from '../../src/policy/engine.js';
import { parsePolicyBundle } from '../../src/policy/load.js';
import { loadResourceEntities } from '../../src/policy/resource-entities.js';
import type { CedarRequest } from '../../src/policy/decision.js';
import { principal } from './helpers.js';

const SCHEMA = `entity Shelf;
entity Book in [Shelf] = { title: String };
action "read" appliesTo { principal: [Agent], resource: [Tool, Book] };
`;

const POLICIES = `
@id("tool-by-uid") permit (principal, action, resource == Tool::"lookup");
@id("tool-in-itself") permit (principal, action, resource in Tool::"search");
@id("tool-attr") forbid (principal, action, resource is Tool) when { resource has title };
@id("book") permit (principal, action, resource) when { resource has title };
`;

const bundle = parsePolicyBundle({ file: 's', text: SCHEMA }, [
  { file: 'p.cedar', text: POLICIES },
]);
const context = { principal: principal({ agent: 'a' }), taskId: 't' };

async function decide(type: string, id: string, resolvers = {}) {
  const loaded = await loadResourceEntities({ type, id }, resolvers, context);
  if (!loaded.ok) throw new Error('load failed');

  const agent = { type: 'Agent', id: 'a' };
  const agentAttrs = { issuer: 'i', scopes: [], roles: [], groups: [], delegationDepth: 0 };
  const request: CedarRequest = {
    principal: agent,
    action: { type: 'Action', id: 'read' },
    resource: { type, id },
    context: {},
    entities: [
      { uid: agent, attrs: { ...agentAttrs, actors: [] }, parents: [] },
      ...loaded.entities,
    ],
  };
  const engine = createPolicyEngine(bundle, { cache: { ttlMs: 0, maxEntries: 1 } });
  return { sent: loaded.entities, outcome: engine.decide(request).outcome };
}

describe('resource entities sent to Cedar', () => {
  it('leaves out a Tool without a resolver, and decisions on its uid stand', async () => {
    const lookup = await decide('Tool', 'lookup');
    const search = await decide('Tool', 'search');
    const other = await decide('Tool', 'other');

    expect(lookup.sent).toEqual([]);
    expect([lookup.outcome, search.outcome, other.outcome]).toEqual(['allow', 'allow', 'deny']);
  });

  it('still sends an author type without a resolver, so its schema is enforced', async () => {
    const book = await decide('Book', 'b-1');

    expect(book.sent).toEqual([{ uid: { type: 'Book', id: 'b-1' }, attrs: {}, parents: [] }]);
    // The schema requires `title`: the entity does not conform, and that denies.
    expect(book.outcome).toBe('deny');
  });

  it('sends resolved entities and their ancestors', async () => {
    const resolvers = {
      Book: async () => ({ attrs: { title: 'T' }, parents: [{ type: 'Shelf', id: 's' }] }),
    };
    const book = await decide('Book', 'b-2', resolvers);

    expect(book.sent.map((e) => e.uid)).toEqual([
      { type: 'Book', id: 'b-2' },
      { type: 'Shelf', id: 's' },
    ]);
    expect(book.outcome).toBe('allow');
  });
});
