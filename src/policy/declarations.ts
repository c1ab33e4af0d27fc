import type { Principal } from '../auth/principal.js';
import type { CedarValueJson } from './cedar.js';

/**
 * What agent authors declare so policy can see their calls. A tool (or skill) says which resource
 * a call acts on and which input fields policy needs; resolvers, one per entity type, load what
 * the agent's own data knows about an entity: its attributes and its parents (relationships).
 * Authors never write an authorization check: they describe, the guard decides.
 */

/** A Cedar entity named by type and id, e.g. `{ type: 'Order', id: 'o-1001' }`. */
export interface EntityRef {
  readonly type: string;
  readonly id: string;
}

/** A value in Cedar's JSON entity format; see {@link entityValue} and {@link decimalValue}. */
export type CedarValue = CedarValueJson;

/** What a resolver knows about one entity. */
export interface EntityData {
  /** Attributes, as the schema declares them for the entity's type. */
  readonly attrs?: Readonly<Record<string, CedarValue>>;
  /** Parent entities: `resource in Customer::"alice"` holds when Customer::"alice" is a parent. */
  readonly parents?: readonly EntityRef[];
}

/** What a resolver is told about the call it loads for. */
export interface ResolveContext {
  readonly principal: Principal;
  readonly taskId: string;
}

/**
 * Loads an entity by id. Returning `undefined` (no such entity) or throwing denies the call: a
 * decision is never made on an entity that could not be loaded.
 */
export type EntityResolver = (
  id: string,
  context: ResolveContext,
) => EntityData | undefined | Promise<EntityData | undefined>;

/** Resolvers by entity type, e.g. `{ Order: loadOrder, Customer: loadCustomer }`. */
export type EntityResolvers = Readonly<Record<string, EntityResolver>>;

/**
 * How policy sees a call of a tool or skill.
 *
 * @example
 * policy: {
 *   resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
 *   context: ({ amount }) => ({ amountCents: Math.round(amount * 100) }),
 * }
 */
export interface ActionPolicy<I> {
  // Methods, not function properties: method parameters are bivariant, which keeps a tool's
  // `ActionPolicy<Input>` assignable where `ActionPolicy<unknown>` is expected, as `run` is.
  /**
   * The resource the call acts on, built from its validated input. Default: `Tool::"<name>"` for a
   * tool, `Skill::"<id>"` for a skill. May be async, e.g. to canonicalise a file path.
   */
  resource?(input: I): EntityRef | Promise<EntityRef>;
  /**
   * The values of `context.input`. Default: the fields the schema declares for the action's
   * `context.input`, read from the input by name. Either way each value must fit the schema's
   * type, or the call is denied with a message naming the field.
   */
  context?(input: I): Readonly<Record<string, unknown>>;
}

/** An entity reference as an attribute value, e.g. `{ owner: entityValue('User', 'alice') }`. */
export function entityValue(type: string, id: string): CedarValue {
  return { __entity: { type, id } };
}

/** A number as a Cedar `decimal` (at most four decimal places), e.g. an amount of money. */
export function decimalValue(value: number): CedarValue {
  return { __extn: { fn: 'decimal', arg: formatDecimal(value) } };
}

/** The Cedar text of a decimal, or throws a `RangeError` when it has too many places. */
export function formatDecimal(value: number): string {
  const text = value.toFixed(4);
  if (!Number.isFinite(value) || Math.abs(Number(text) - value) > 1e-9) {
    throw new RangeError(`${value} is not a decimal with at most 4 places`);
  }
  return text;
}
