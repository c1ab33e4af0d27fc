import type { JWTPayload } from 'jose';

/**
 * The value at `path` in a claims set: the claim of that exact name when it exists (Auth0's
 * namespaced claims contain dots), else the dotted path walked through nested objects. Only own
 * properties are read, so `__proto__` or `constructor` in a path finds nothing.
 */
export function readClaimPath(claims: JWTPayload, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];

  let current: unknown = claims;
  for (const segment of path.split('.')) {
    if (!isRecord(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

/** The first path holding a non-empty string. */
export function readFirstString(claims: JWTPayload, paths: readonly string[]): string | undefined {
  for (const path of paths) {
    const value = readClaimPath(claims, path);
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return undefined;
}

/**
 * Scopes merged from every path: RFC 9068 §2.2.3 `scope` is space-separated, Okta's `scp` is an
 * array, Entra's `scp` a space-separated string, Auth0's `permissions` an array.
 */
export function readScopes(claims: JWTPayload, paths: readonly string[]): Set<string> {
  const scopes = new Set<string>();
  for (const path of paths) {
    const value = readClaimPath(claims, path);
    const items = typeof value === 'string' ? value.split(/\s+/) : stringsOf(value);
    for (const item of items) if (item.length > 0) scopes.add(item);
  }
  return scopes;
}

/** Values merged from every path: arrays of strings, or a single string as one value. */
export function readValues(claims: JWTPayload, paths: readonly string[]): Set<string> {
  const values = new Set<string>();
  for (const path of paths) {
    const value = readClaimPath(claims, path);
    const items = typeof value === 'string' ? [value] : stringsOf(value);
    for (const item of items) if (item.length > 0) values.add(item);
  }
  return values;
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : [];
}

/** A plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
