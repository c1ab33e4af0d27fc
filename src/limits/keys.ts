import { createHash } from 'node:crypto';
import { ipKeyGenerator } from 'express-rate-limit';
import type { KeyPart } from './config.js';

/** Who and what a rate-limited request is about: the verified identity and the skill. */
export interface LimitSubject {
  readonly issuer: string;
  readonly agent: string;
  readonly user: string | undefined;
  /** The skill a message invokes; undefined for other operations. */
  readonly skill: string | undefined;
}

/**
 * The counter key of `subject` under a rule keyed by `parts`. Hashed, so that identities (which
 * may be e-mail addresses) stay out of Redis and every key has the same short length however
 * long an issuer or user id is; JSON keeps `["a:b", "c"]` apart from `["a", "b:c"]`.
 */
export function limitKey(subject: LimitSubject, parts: readonly KeyPart[]): string {
  const values = parts.map((part) => subject[part] ?? null);
  return hashOf(JSON.stringify(values));
}

/**
 * The counter key of an unauthenticated caller: its IPv4 address, or its IPv6 subnet of
 * `ipv6Subnet` bits, since one host commonly holds a whole /64 and could rotate addresses freely.
 */
export function ipKey(ip: string | undefined, ipv6Subnet: number): string {
  return ip === undefined ? 'unknown' : ipKeyGenerator(ip, ipv6Subnet);
}

/** A short, stable digest for store keys: 128 bits of SHA-256, base64url. */
export function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}
