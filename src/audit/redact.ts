import { createHash } from 'node:crypto';

/** How values are redacted before they reach the audit file (`audit.redact` config). */
export interface RedactionOptions {
  /** Masked: plain names match at any depth, dotted paths from the root. */
  readonly fields: readonly string[];
  readonly maxValueBytes: number;
  readonly maxParametersBytes: number;
}

/** Turns any value into JSON that is safe to write to the audit file. */
export interface Redactor {
  redact(value: unknown): unknown;
}

/** Written instead of a configured field's value. */
export const MASKED = '[masked]';

/** Written instead of a secret: the value never reaches the file, not even hashed. */
export const SECRET = '[secret]';

const MAX_DEPTH = 8;

// Compared after lower-casing and dropping everything but letters and digits, so `access_token`,
// `accessToken` and `Access-Token` are one name. A key ENDING in one of these is a secret too
// (`githubToken`, `dbPassword`), which masks a harmless `maxToken` now and then: the safe error.
const SECRET_SUFFIXES = [
  'token',
  'secret',
  'password',
  'passwd',
  'passphrase',
  'apikey',
  'privatekey',
  'credential',
  'credentials',
  'assertion',
  'authorization',
  'cookie',
  'sessionid',
  'codeverifier',
];
const SECRET_NAMES = new Set(['dpop', 'otp', 'pin', 'cvv', 'cvc']);

// Secrets by their look, whatever the key: a JWS/JWE compact token, a Bearer/DPoP credential, a
// PEM private key.
const SECRET_VALUES = [
  /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/,
  /\b(?:Bearer|DPoP)\s+[A-Za-z0-9._~+/-]{8,}/i,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

/**
 * Creates the redactor the audit trail applies to `parameters` and `detail`:
 * - a key named like a secret (`password`, `*_token`, `apiKey`, `authorization`, `cvv`...)
 *   or a string that looks like one (a JWT, `Bearer ...`, a PEM private key) becomes `[secret]`;
 * - a configured field becomes `[masked]`;
 * - a string over `maxValueBytes` becomes `{truncated, bytes, sha256}` (the hash is of the whole
 *   value, so an operator holding the original can prove which it was);
 * - the whole value over `maxParametersBytes` of JSON is cut and hashed the same way.
 *
 * @example
 * createRedactor({ fields: ['email'], maxValueBytes: 1024, maxParametersBytes: 8192 })
 *   .redact({ email: 'a@example.com', apiKey: 'k-123' });
 * // { email: '[masked]', apiKey: '[secret]' }
 */
export function createRedactor(options: RedactionOptions): Redactor {
  const names = new Set(options.fields.filter((f) => !f.includes('.')).map(normalizeKey));
  const paths = new Set(options.fields.filter((f) => f.includes('.')));

  const walk = (value: unknown, path: string, depth: number, seen: WeakSet<object>): unknown => {
    if (typeof value === 'string') return redactString(value, options.maxValueBytes);
    if (typeof value !== 'object' || value === null) return primitive(value);
    if (seen.has(value)) return '[circular]';
    if (depth >= MAX_DEPTH) return '[too deep]';
    if (ArrayBuffer.isView(value)) return `[binary ${value.byteLength} bytes]`;
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();

    seen.add(value);
    const out = Array.isArray(value)
      ? value.map((item, i) => walk(item, `${path}${i}.`, depth + 1, seen) ?? null)
      : walkObject(value as Record<string, unknown>, path, depth, seen);
    seen.delete(value);
    return out;
  };

  const walkObject = (
    record: Record<string, unknown>,
    path: string,
    depth: number,
    seen: WeakSet<object>,
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(record)) {
      const here = `${path}${key}`;
      const redacted = isSecretKey(key)
        ? SECRET
        : names.has(normalizeKey(key)) || paths.has(here)
          ? MASKED
          : walk(item, `${here}.`, depth + 1, seen);
      if (redacted !== undefined) out[key] = redacted;
    }
    return out;
  };

  return {
    redact: (value) => capSize(walk(value, '', 0, new WeakSet()), options.maxParametersBytes),
  };
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function isSecretKey(key: string): boolean {
  const normalized = normalizeKey(key);
  return SECRET_NAMES.has(normalized) || SECRET_SUFFIXES.some((s) => normalized.endsWith(s));
}

function redactString(value: string, maxBytes: number): unknown {
  if (SECRET_VALUES.some((pattern) => pattern.test(value))) return SECRET;
  return Buffer.byteLength(value) > maxBytes ? truncated(value, maxBytes) : value;
}

// What JSON itself would write, so the hashed form equals the parsed-back one.
function primitive(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean' || value === null) return value;
  return undefined;
}

function capSize(value: unknown, maxBytes: number): unknown {
  if (value === undefined) return undefined;

  const json = JSON.stringify(value);
  return Buffer.byteLength(json) > maxBytes ? truncated(json, maxBytes) : value;
}

/** A long value as `{truncated: <its first maxBytes>, bytes, sha256}`. */
function truncated(value: string, maxBytes: number): Record<string, unknown> {
  const bytes = Buffer.from(value);
  // Cut on a character boundary: decoding a cut UTF-8 sequence would yield U+FFFD.
  const prefix = bytes
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  const sha256 = createHash('sha256').update(bytes).digest('hex');

  return { truncated: prefix, bytes: bytes.length, sha256 };
}
