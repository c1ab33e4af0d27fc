import type { JSONWebKeySet } from 'jose';
import { isRecord } from '../claims/read.js';

/** A JWKS larger than this is refused: no IdP publishes that many keys. */
const MAX_JWKS_BYTES = 512 * 1024;

/**
 * Fetches a JSON Web Key Set. Redirects are not followed (a key set is where discovery said it
 * is), anything but 200 with a `keys` array fails, and so does a body over 512 KiB.
 *
 * @throws Error naming the failure; the caller decides what an unreachable IdP means.
 */
export async function fetchJwks(url: URL, timeoutMs: number): Promise<JSONWebKeySet> {
  const response = await fetch(url, {
    redirect: 'manual',
    headers: { accept: 'application/jwk-set+json, application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (response.status !== 200) {
    throw new Error(`JWKS endpoint answered HTTP ${response.status}`);
  }

  const text = await response.text();
  if (text.length > MAX_JWKS_BYTES) throw new Error('JWKS exceeds 512 KiB');

  const body: unknown = JSON.parse(text);
  if (!isRecord(body) || !Array.isArray(body['keys'])) {
    throw new Error('JWKS has no "keys" array');
  }
  return body as unknown as JSONWebKeySet;
}
