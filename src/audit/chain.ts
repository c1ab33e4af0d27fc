import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditEntry, AuditEntryBody } from './entry.js';

/** `prev` of the first line of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** Where a chain stands: the last entry's sequence number and hash. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** The head of a chain with no entries yet. */
export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

/**
 * SHA-256 (hex) of an entry's RFC 8785 (JCS) canonical form, `hash` left out. JCS fixes key order,
 * number and string spelling, so the hash does not depend on how the line happens to be written.
 */
export function hashEntry(entry: Omit<AuditEntry, 'hash'> | AuditEntry): string {
  const { hash: _ignored, ...rest } = entry as AuditEntry;
  const canonical = canonicalize(rest);
  if (canonical === undefined) throw new TypeError('audit entry has no canonical form');

  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Gives `body` the next place after `head`: sequence number, previous hash, its own hash. Returns
 * the entry and its line (JSON and a newline), ready to append.
 */
export function sealEntry(
  body: AuditEntryBody,
  head: ChainHead,
): { entry: AuditEntry; line: string } {
  let unsealed = { seq: head.seq + 1, ...body, prev: head.hash };
  let hash: string;
  try {
    hash = hashEntry(unsealed);
  } catch {
    // JCS refuses a lone UTF-16 surrogate, which JSON.parse happily yields from "\ud800" in a
    // token claim or a tool input: it becomes U+FFFD rather than failing the action.
    unsealed = replaceLoneSurrogates(unsealed) as typeof unsealed;
    hash = hashEntry(unsealed);
  }
  const entry: AuditEntry = { ...unsealed, hash };

  return { entry, line: `${JSON.stringify(entry)}\n` };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function replaceLoneSurrogates(value: unknown): unknown {
  const fix = (text: string) => text.replace(LONE_SURROGATE, '\uFFFD');
  if (typeof value === 'string') return fix(value);
  if (Array.isArray(value)) return value.map(replaceLoneSurrogates);
  if (typeof value !== 'object' || value === null) return value;

  const entries = Object.entries(value).map(([k, v]) => [fix(k), replaceLoneSurrogates(v)]);
  return Object.fromEntries(entries);
}
