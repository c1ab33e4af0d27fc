import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenClaims, startTestIssuer, type TestIssuer } from './test-issuer.js';
import { verifierFor } from './verifier.js';

// The verified-token cache: a token is verified once, then reused until the earliest of its
// `exp` and `tokenCache.maxAgeSec`, never beyond `maxEntries`, and never when it failed.

const AUDIENCE = 'https://agent.example';
const START = Date.now();
const NOW = Math.floor(START / 1000);

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer('ES256');
});

afterAll(async () => {
  await issuer?.close();
});

async function cachedVerifier(tokenCache: object, clock: { ms: number }) {
  const trusted = { issuer: issuer.issuer, allowInsecureIssuer: true };
  const auth = { issuers: [trusted], tokenCache, clockToleranceSec: 0 };
  return verifierFor(auth, { now: () => new Date(clock.ms) });
}

const mint = (extra = {}) => issuer.mint(accessTokenClaims(issuer.issuer, AUDIENCE, NOW, extra));

describe('verified-token cache', () => {
  it('verifies a token once and then serves it from the cache', async () => {
    const verifier = await cachedVerifier({}, { ms: START });
    const token = await mint();

    const first = await verifier.verify(token);
    const second = await verifier.verify(token);

    expect(second).toBe(first);
    expect(verifier.cacheStats()).toMatchObject({ hits: 1, misses: 1, size: 1 });
  });

  it('stops serving a token at its exp, even when maxAgeSec is longer', async () => {
    const clock = { ms: START };
    const verifier = await cachedVerifier({ maxAgeSec: 3600 }, clock);
    const token = await mint({ exp: NOW + 100 });
    await verifier.verify(token);

    clock.ms = (NOW + 100) * 1000 + 1;
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
    expect(verifier.cacheStats().hits).toBe(0);
  });

  it('verifies again after maxAgeSec, even when the token lives longer', async () => {
    const clock = { ms: START };
    const verifier = await cachedVerifier({ maxAgeSec: 60 }, clock);
    const token = await mint({ exp: NOW + 3600 });
    await verifier.verify(token);

    clock.ms += 61_000;
    await verifier.verify(token);
    expect(verifier.cacheStats()).toMatchObject({ hits: 0, misses: 2 });
  });

  it('holds at most maxEntries tokens, evicting the least recently used', async () => {
    const verifier = await cachedVerifier({ maxEntries: 2 }, { ms: START });
    const [a, b, c] = await Promise.all([mint(), mint(), mint()]);

    await verifier.verify(a ?? '');
    await verifier.verify(b ?? '');
    await verifier.verify(a ?? '');
    await verifier.verify(c ?? '');
    await verifier.verify(a ?? '');

    expect(verifier.cacheStats()).toMatchObject({ size: 2, evictions: 1, hits: 2 });
  });

  it('never caches a token that failed verification', async () => {
    const verifier = await cachedVerifier({}, { ms: START });
    const token = await mint({ aud: 'https://another-agent.example' });

    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_AUDIENCE' });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_AUDIENCE' });
    expect(verifier.cacheStats()).toMatchObject({ hits: 0, misses: 2, size: 0 });
  });

  it('can be switched off with maxEntries 0', async () => {
    const verifier = await cachedVerifier({ maxEntries: 0 }, { ms: START });
    const token = await mint();

    await verifier.verify(token);
    await verifier.verify(token);
    expect(verifier.cacheStats()).toMatchObject({ hits: 0, size: 0 });
  });
});
