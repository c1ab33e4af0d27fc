import type { CedarValueJson } from './cedar.js';
import { formatDecimal } from './declarations.js';
import type { SchemaAttribute, SchemaType } from './schema-shape.js';

/** A value that does not fit the schema; the message names the field and the expected type. */
export class ValueMismatch extends Error {
  override readonly name = 'ValueMismatch';
}

// Cedar's Long is a signed 64-bit integer, but only safe integers survive JSON in JavaScript.
const MAX_LONG = Number.MAX_SAFE_INTEGER;

/**
 * Converts the declared attributes of `values` to Cedar JSON, as `attributes` types them. Fields
 * the schema does not declare are left out: Cedar is sent only what policy can read. A missing
 * required field, or a value of the wrong type, throws a {@link ValueMismatch} naming the field.
 */
export function toCedarRecord(
  values: Readonly<Record<string, unknown>>,
  attributes: ReadonlyMap<string, SchemaAttribute>,
  where: string,
): Record<string, CedarValueJson> {
  const record: Record<string, CedarValueJson> = {};
  for (const [name, attribute] of attributes) {
    const value = values[name];
    if (value === undefined || value === null) {
      if (attribute.required) throw new ValueMismatch(`${where}.${name}: is required`);
      continue;
    }
    record[name] = toCedarValue(value, attribute.type, `${where}.${name}`);
  }
  return record;
}

/** Converts one value to Cedar JSON as `type` requires. */
export function toCedarValue(value: unknown, type: SchemaType, where: string): CedarValueJson {
  switch (type.kind) {
    case 'Long':
      if (Number.isSafeInteger(value) && Math.abs(value as number) <= MAX_LONG)
        return value as number;
      throw mismatch(where, 'a whole number (Long)', value);
    case 'String':
      if (typeof value === 'string') return value;
      throw mismatch(where, 'a string', value);
    case 'Boolean':
      if (typeof value === 'boolean') return value;
      throw mismatch(where, 'true or false', value);
    case 'Set':
      if (!Array.isArray(value)) throw mismatch(where, 'a list', value);
      return value.map((item, index) => toCedarValue(item, type.element, `${where}[${index}]`));
    case 'Record':
      if (!isRecord(value)) throw mismatch(where, 'an object', value);
      return toCedarRecord(value, type.attributes, where);
    case 'Entity':
      return toEntity(value, type.name, where);
    case 'Extension':
      return toExtension(value, type.name, where);
  }
}

function toEntity(value: unknown, entityType: string, where: string): CedarValueJson {
  if (typeof value === 'string') return { __entity: { type: entityType, id: value } };
  if (isRecord(value) && value['type'] === entityType && typeof value['id'] === 'string') {
    return { __entity: { type: entityType, id: value['id'] } };
  }
  throw mismatch(where, `an id of a ${entityType}`, value);
}

function toExtension(value: unknown, name: string, where: string): CedarValueJson {
  if (name === 'decimal' && typeof value === 'number') {
    try {
      return { __extn: { fn: 'decimal', arg: formatDecimal(value) } };
    } catch {
      throw mismatch(where, 'a decimal with at most 4 places', value);
    }
  }
  if (typeof value === 'string') return { __extn: { fn: name, arg: value } };
  throw mismatch(where, `a ${name}`, value);
}

function mismatch(where: string, expected: string, value: unknown): ValueMismatch {
  return new ValueMismatch(`${where}: expected ${expected}, got ${describe(value)}`);
}

// Names the kind of value, never the value itself: it may be personal data.
function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a fraction';
  return value === null ? 'null' : `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
