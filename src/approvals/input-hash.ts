import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * SHA-256 (hex) of the RFC 8785 canonical JSON of a call's input: the same input always hashes the
 * same, whatever the order of its keys, so an approval binds to exactly what was shown.
 */
export function hashInput(input: unknown): string {
  return createHash('sha256')
    .update(canonicalize(input) ?? 'undefined')
    .digest('hex');
}

/** The input as JSON it round-trips through: what the approval stores and operators see. */
export function jsonOf(input: unknown): unknown {
  const text = canonicalize(input);
  return text === undefined ? null : (JSON.parse(text) as unknown);
}
