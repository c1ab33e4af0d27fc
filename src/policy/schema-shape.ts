import { WardenError } from '../errors.js';
import { schemaToJsonWithResolvedTypes, type SchemaJson } from './cedar.js';

/** A Cedar schema type, resolved: common types replaced by what they name. */
export type SchemaType =
  | { readonly kind: 'Long' | 'String' | 'Boolean' }
  | { readonly kind: 'Set'; readonly element: SchemaType }
  | { readonly kind: 'Record'; readonly attributes: ReadonlyMap<string, SchemaAttribute> }
  | { readonly kind: 'Entity'; readonly name: string }
  | { readonly kind: 'Extension'; readonly name: string };

/** A record attribute's type, and whether it must be present. */
export interface SchemaAttribute {
  readonly type: SchemaType;
  readonly required: boolean;
}

/** What the schema says about one action. */
export interface ActionShape {
  readonly principalTypes: readonly string[];
  readonly resourceTypes: readonly string[];
  /** The declared context record; empty when the action declares none. */
  readonly context: ReadonlyMap<string, SchemaAttribute>;
}

/** The parts of a schema Warden needs to build requests that fit it. */
export interface SchemaShape {
  readonly actions: ReadonlyMap<string, ActionShape>;
  readonly entityTypes: ReadonlySet<string>;
}

const EXTENSIONS = new Set(['decimal', 'ipaddr', 'datetime', 'duration']);

type RawType = { type: string; name?: string; element?: RawType; attributes?: RawAttributes };
type RawAttributes = Record<string, RawType & { required?: boolean }>;
type RawNamespace = SchemaJson<string>[string];

/**
 * Reads the actions and entity types of a schema that already parsed. Actions must be declared
 * outside any namespace: Warden names them `Action::"<skill or tool>"`.
 */
export function readSchemaShape(schemaText: string): SchemaShape {
  const answer = schemaToJsonWithResolvedTypes(schemaText);
  if (answer.type !== 'success') {
    const message = answer.errors.map((e) => e.message).join('; ');
    throw new WardenError('ERR_POLICY_INVALID', `schema cannot be read: ${message}`);
  }

  const namespaces = Object.entries(answer.json);
  const misplaced = namespaces.filter(([name, ns]) => name !== '' && hasActions(ns));
  if (misplaced.length > 0) {
    const names = misplaced.map(([name]) => name).join(', ');
    throw new WardenError(
      'ERR_POLICY_INVALID',
      `schema declares actions inside namespace ${names}; declare them at the top level`,
    );
  }

  const root = answer.json[''];
  return {
    actions: root === undefined ? new Map() : readActions(root),
    entityTypes: new Set(namespaces.flatMap(([ns, def]) => entityTypeNames(ns, def))),
  };
}

function hasActions(ns: RawNamespace): boolean {
  return Object.keys(ns.actions).length > 0;
}

function entityTypeNames(namespace: string, ns: RawNamespace): string[] {
  const prefix = namespace === '' ? '' : `${namespace}::`;
  return Object.keys(ns.entityTypes).map((name) => prefix + name);
}

function readActions(ns: RawNamespace): Map<string, ActionShape> {
  const common = (ns.commonTypes ?? {}) as Record<string, RawType>;
  const actions = new Map<string, ActionShape>();

  for (const [name, action] of Object.entries(ns.actions)) {
    const appliesTo = action.appliesTo;
    const context = appliesTo?.context as RawType | undefined;
    const resolved = context === undefined ? undefined : resolveType(context, common);
    actions.set(name, {
      principalTypes: appliesTo?.principalTypes ?? [],
      resourceTypes: appliesTo?.resourceTypes ?? [],
      context: resolved?.kind === 'Record' ? resolved.attributes : new Map(),
    });
  }
  return actions;
}

function resolveType(raw: RawType, common: Record<string, RawType>, depth = 0): SchemaType {
  // Cedar rejects cyclic common types; the bound only keeps a malformed answer from looping.
  if (depth > 32) throw new WardenError('ERR_POLICY_INVALID', 'schema types nest too deeply');

  switch (raw.type) {
    case 'Long':
    case 'String':
    case 'Boolean':
      return { kind: raw.type };
    case 'Set':
      return { kind: 'Set', element: resolveType(raw.element ?? { type: '?' }, common, depth + 1) };
    case 'Record':
      return { kind: 'Record', attributes: resolveAttributes(raw.attributes ?? {}, common, depth) };
    case 'Entity':
      return { kind: 'Entity', name: raw.name ?? '' };
    case 'Extension':
      return { kind: 'Extension', name: raw.name ?? '' };
  }
  return resolveNamed(raw.type, common, depth);
}

function resolveNamed(name: string, common: Record<string, RawType>, depth: number): SchemaType {
  const named = common[name];
  if (named !== undefined) return resolveType(named, common, depth + 1);
  if (EXTENSIONS.has(name)) return { kind: 'Extension', name };

  throw new WardenError('ERR_POLICY_INVALID', `schema type "${name}" cannot be resolved`);
}

function resolveAttributes(
  raw: RawAttributes,
  common: Record<string, RawType>,
  depth: number,
): Map<string, SchemaAttribute> {
  const attributes = new Map<string, SchemaAttribute>();
  for (const [name, type] of Object.entries(raw)) {
    const resolved = resolveType(type, common, depth + 1);
    attributes.set(name, { type: resolved, required: type.required !== false });
  }
  return attributes;
}
