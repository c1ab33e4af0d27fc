import { WardenError } from '../errors.js';

const REFERENCE = /\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed configuration with the
 * environment's value, so secrets and URLs need not be written into the file. A reference to an
 * unset variable without a default is an error naming the key and the variable (never its value).
 */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, source: string): unknown {
  return walk(value, [], env, source);
}

function walk(value: unknown, at: string[], env: NodeJS.ProcessEnv, source: string): unknown {
  if (typeof value === 'string') return substituteString(value, at, env, source);
  if (Array.isArray(value))
    return value.map((item, i) => walk(item, [...at, String(i)], env, source));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, walk(v, [...at, k], env, source)]);
    return Object.fromEntries(entries);
  }
  return value;
}

function substituteString(
  text: string,
  at: string[],
  env: NodeJS.ProcessEnv,
  source: string,
): string | number | boolean {
  const replaced = text.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
    const found = env[name] ?? fallback;
    if (found === undefined) {
      const key = at.join('.');
      throw new WardenError(
        'ERR_CONFIG_INVALID',
        `${source}: ${key}: environment variable ${name} is not set`,
      );
    }
    return found;
  });

  // A whole-value reference such as `port: ${PORT}` should yield a number, as YAML would have.
  const wholeValue = /^\$\{[^}]+\}$/.test(text);
  return wholeValue ? coerceScalar(replaced) : replaced;
}

function coerceScalar(text: string): string | number | boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}
