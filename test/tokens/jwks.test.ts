import request from 'supertest';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort, startWarden, type TestWarden } from '../support/harness.js';
import { callWarden } from './support.js';
import {
  accessTokenClaims,
  generateTestKey,
  startTestIssuer,
  type TestIssuer,
} from './test-issuer.js';
import { verifierFor } from './verifier.js';

// Key rotation and IdP outages, against a test issuer whose JWKS the test rotates and takes down,
// with Warden's clock moved by hand. Defaults: keys refetched after 600 s, at most one fetch per
// 30 s, known keys kept for 3600 s past 600 s while the IdP is down.

const AUDIENCE = 'https://agent.example';
const START = Date.now();
const NOW = Math.floor(START / 1000);

let issuer: TestIssuer;
let clock: number;
const now = () => new Date(clock);
const opened: { close(): Promise<void> }[] = [];

beforeEach(async () => {
  clock = START;
  issuer = await startTestIssuer('ES256');
  opened.push(issuer);
});

afterAll(async () => {
  await Promise.all(opened.map((item) => item.close()));
});

// Long-lived tokens, so only the keys decide while the clock moves hours ahead.
const mint = (options = {}) =>
  issuer.mint(accessTokenClaims(issuer.issuer, AUDIENCE, NOW, { exp: NOW + 20_000 }), options);

async function verifierWithoutCache() {
  const trusted = { issuer: issuer.issuer, allowInsecureIssuer: true };
  const verifier = await verifierFor(
    { issuers: [trusted], tokenCache: { maxEntries: 0 } },
    { now },
  );
  await verifier.issuers.get(issuer.issuer)?.keys.reload();
  return verifier;
}

const keyState = (verifier: Awaited<ReturnType<typeof verifierFor>>) =>
  verifier.issuers.get(issuer.issuer)?.keys.status().state;

describe('key rotation', () => {
  it('fetches the keys again, once, for a token signed by a newly published key', async () => {
    const verifier = await verifierWithoutCache();
    const fetched = issuer.jwksFetches;
    const rotated = await issuer.addKey();
    clock += 31_000; // past the cooldown of the fetch made at start

    await expect(verifier.verify(await mint({ key: rotated }))).resolves.toBeTruthy();
    expect(issuer.jwksFetches).toBe(fetched + 1);
  });

  it('does not let unknown kids make Warden hammer the IdP: one fetch per cooldown', async () => {
    const verifier = await verifierWithoutCache();
    clock += 31_000;
    const fetched = issuer.jwksFetches;

    for (let attempt = 0; attempt < 20; attempt += 1) {
      const stranger = await generateTestKey('ES256');
      await expect(verifier.verify(await mint({ key: stranger }))).rejects.toMatchObject({
        code: 'ERR_TOKEN_SIGNATURE',
        message: 'access token signing key is unknown',
      });
    }
    expect(issuer.jwksFetches).toBe(fetched + 1);

    clock += 31_000;
    await verifier.verify(await mint({ key: await generateTestKey('ES256') })).catch(() => {});
    expect(issuer.jwksFetches).toBe(fetched + 2);
  });

  it('drops a cached token once its signing key is no longer published', async () => {
    const trusted = { issuer: issuer.issuer, allowInsecureIssuer: true };
    const verifier = await verifierFor({ issuers: [trusted] }, { now });
    const retiring = issuer.keys[0];
    const token = await mint();
    await verifier.verify(token);

    const successor = await issuer.addKey();
    if (retiring) issuer.removeKey(retiring.kid);
    clock += 31_000;
    await verifier.verify(await mint({ key: successor }));

    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_SIGNATURE' });
  });
});

describe('IdP outage', () => {
  it('keeps known keys working for the grace period past their max age, then fails', async () => {
    const verifier = await verifierWithoutCache();
    issuer.down = true;

    clock += 600_000 + 1_000;
    await expect(verifier.verify(await mint())).resolves.toBeTruthy();
    expect(keyState(verifier)).toBe('degraded');

    const stranger = await generateTestKey('ES256');
    await expect(verifier.verify(await mint({ key: stranger }))).rejects.toMatchObject({
      code: 'ERR_TOKEN_SIGNATURE',
    });

    clock += 3_600_000;
    await expect(verifier.verify(await mint())).rejects.toMatchObject({
      code: 'ERR_TOKEN_KEYS_UNAVAILABLE',
      message: 'issuer keys are unavailable',
    });
    expect(keyState(verifier)).toBe('unavailable');
  });

  it('recovers as soon as the IdP answers again', async () => {
    const verifier = await verifierWithoutCache();
    issuer.down = true;
    clock += 5_000_000;
    await expect(verifier.verify(await mint())).rejects.toMatchObject({
      code: 'ERR_TOKEN_KEYS_UNAVAILABLE',
    });

    issuer.down = false;
    clock += 31_000;
    await expect(verifier.verify(await mint())).resolves.toBeTruthy();
    expect(keyState(verifier)).toBe('ok');
  });
});

describe('/readyz during an outage', () => {
  let warden: TestWarden;

  it('reports the issuer degraded while known keys work, and failing after the grace', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const trusted = { issuer: issuer.issuer, allowInsecureIssuer: true };
    warden = await startWarden({
      idp: issuer,
      port,
      now,
      overrides: { auth: { issuers: [trusted], tokenCache: { maxEntries: 0 } } },
    });
    opened.push(warden);
    const name = `issuer ${issuer.issuer}`;
    const token = await issuer.mint(
      accessTokenClaims(issuer.issuer, url, NOW, { exp: NOW + 20_000 }),
    );

    expect((await request(url).get('/readyz')).body.checks[name]).toBe('ok');

    issuer.down = true;
    clock += 601_000;
    expect((await callWarden(url, token)).status).toBe(200);
    const degraded = await request(url).get('/readyz');
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ status: 'degraded', checks: { [name]: 'degraded' } });

    clock += 3_600_000;
    const refused = await callWarden(url, token);
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toBe('issuer keys are unavailable');
    const failing = await request(url).get('/readyz');
    expect(failing.status).toBe(503);
    expect(failing.body.checks[name]).toBe('failing');
  });
});
