import type { EntityJson } from './cedar.js';
import type { EntityRef, EntityResolvers, ResolveContext } from './declarations.js';
import { ENTITY_TYPES } from './prelude.js';

/** How far up the hierarchy ancestors are loaded; deeper parents are not sent to Cedar. */
export const MAX_ANCESTOR_DEPTH = 4;

/** The resource and its ancestors, or the entity that could not be loaded. */
export type LoadedEntities =
  | { readonly ok: true; readonly entities: EntityJson[] }
  | { readonly ok: false; readonly entity: EntityRef; readonly cause?: unknown };

/**
 * Loads the resource and its ancestors, breadth first, through the resolver of each entity type.
 * A type without a resolver is an entity with no attributes and no parents; a resolver that
 * answers `undefined` or throws fails the whole load.
 *
 * The prelude's `Skill` and `Tool` (which declare no attributes) are not sent at all without a
 * resolver: such an entity tells Cedar nothing its uid does not, and each entity sent costs a
 * Cedar decision tens of microseconds of parsing. Other types are always sent, so the schema's
 * check of their required attributes still denies a resource that lacks them.
 */
export async function loadResourceEntities(
  resource: EntityRef,
  resolvers: EntityResolvers,
  context: ResolveContext,
): Promise<LoadedEntities> {
  const entities: EntityJson[] = [];
  const seen = new Set<string>();
  let level: EntityRef[] = [resource];

  for (let depth = 0; depth <= MAX_ANCESTOR_DEPTH && level.length > 0; depth += 1) {
    const next: EntityRef[] = [];
    for (const ref of level) {
      const key = JSON.stringify([ref.type, ref.id]);
      if (seen.has(key)) continue;
      seen.add(key);

      const loaded = await loadOne(ref, resolvers, context);
      if (!loaded.ok) return loaded;
      if (loaded.entity !== undefined) entities.push(loaded.entity);
      next.push(...loaded.parents);
    }
    level = next;
  }
  return { ok: true, entities };
}

const BARE_TYPES: ReadonlySet<string> = new Set([ENTITY_TYPES.skill, ENTITY_TYPES.tool]);

async function loadOne(
  ref: EntityRef,
  resolvers: EntityResolvers,
  context: ResolveContext,
): Promise<
  | { ok: true; entity: EntityJson | undefined; parents: EntityRef[] }
  | { ok: false; entity: EntityRef; cause?: unknown }
> {
  const resolver = Object.hasOwn(resolvers, ref.type) ? resolvers[ref.type] : undefined;
  const uid = { type: ref.type, id: ref.id };
  if (resolver === undefined) {
    const entity = BARE_TYPES.has(ref.type) ? undefined : { uid, attrs: {}, parents: [] };
    return { ok: true, entity, parents: [] };
  }

  try {
    const data = await resolver(ref.id, context);
    if (data === undefined) return { ok: false, entity: uid };

    const parents = (data.parents ?? []).map((p) => ({ type: p.type, id: p.id }));
    return { ok: true, entity: { uid, attrs: { ...data.attrs }, parents }, parents };
  } catch (cause) {
    return { ok: false, entity: uid, cause };
  }
}
