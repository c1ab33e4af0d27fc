import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevIdp, type DevIdp } from '../../src/devidp/index.js';
import { isWardenError } from '../../src/errors.js';
import {
  ALL_SCOPES,
  clientToken,
  freePort,
  silentLogger,
  startWarden,
  type TestWarden,
} from '../support/harness.js';
import { callWarden, skillMessage } from './support.js';
import { verifierFor } from './verifier.js';
import { boundToken, generateDpopKey } from './dpop-support.js';

// RFC 7662: opaque access tokens from the real dev IdP (oidc-provider, opaque format for these
// resources), introspected through openid-client with Warden's own client credentials.

const RESOURCE = 'https://agent.example';
const OTHER = 'https://other-agent.example';
const JWT_RESOURCE = 'https://jwt-agent.example';

let idp: DevIdp;
let warden: TestWarden;
let url: string;

const clients = ['peer-agent-a', 'warden'].map((clientId) => ({
  clientId,
  clientSecret: `${clientId}-secret`,
  scopes: ALL_SCOPES,
}));

const issuerConfig = (secret = 'warden-secret') => ({
  issuer: idp.issuer,
  allowInsecureIssuer: true,
  tokenKinds: ['opaque', 'jwt'],
  introspection: { clientId: 'warden', clientSecret: secret, cacheMaxSec: 60 },
});

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  idp = await startDevIdp({
    port: 0,
    clients,
    resources: {
      [url]: { scopes: ALL_SCOPES, accessTokenFormat: 'opaque' },
      [RESOURCE]: { scopes: ALL_SCOPES, accessTokenFormat: 'opaque' },
      [OTHER]: { scopes: ALL_SCOPES, accessTokenFormat: 'opaque' },
      [JWT_RESOURCE]: { scopes: ALL_SCOPES },
    },
    logger: silentLogger,
  });
  warden = await startWarden({ idp, port, overrides: { auth: { issuers: [issuerConfig()] } } });
});

afterAll(async () => {
  await warden?.close();
  await idp?.close();
});

describe('opaque access tokens (RFC 7662 introspection)', () => {
  it('serves a caller with an opaque token over HTTP', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
    expect(token.split('.')).toHaveLength(1);

    const res = await callWarden(url, token, skillMessage('order-history', { customerId: 'bob' }));
    expect(res.status).toBe(200);
    expect(res.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
  });

  it('builds the principal from the introspection answer', async () => {
    const { verify } = await verifierFor({ issuers: [issuerConfig()] });
    const token = await clientToken(idp, 'peer-agent-a', ['support.orders.read'], RESOURCE);

    expect(await verify(token)).toMatchObject({
      issuer: idp.issuer,
      agent: 'peer-agent-a',
      user: undefined,
      scopes: new Set(['support.orders.read']),
      tokenKind: 'opaque',
      dpopKeyThumbprint: undefined,
    });
  });

  it('reuses an answer until the configured maximum, then asks again', async () => {
    let clock = Date.now();
    const verifier = await verifierFor(
      { issuers: [issuerConfig()] },
      { now: () => new Date(clock) },
    );
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, RESOURCE);

    await verifier.verify(token);
    await verifier.verify(token);
    expect(verifier.cacheStats()).toMatchObject({ hits: 1, misses: 1 });

    clock += 61_000;
    await verifier.verify(token);
    expect(verifier.cacheStats()).toMatchObject({ hits: 1, misses: 2 });
  });

  it("never reuses an answer past the token's exp", async () => {
    let clock = Date.now();
    const auth = { issuers: [issuerConfig()], clockToleranceSec: 0 };
    const verifier = await verifierFor(auth, { now: () => new Date(clock) });
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, RESOURCE);
    const { expiresAt } = await verifier.verify(token);

    clock = expiresAt * 1000 + 1;
    await expect(verifier.verify(token)).rejects.toThrow('access token expired');
    expect(verifier.cacheStats().hits).toBe(0);
  });

  it('refuses a token the issuer does not know (active: false)', async () => {
    const { verify } = await verifierFor({ issuers: [issuerConfig()] });

    await expect(verify('not-a-token-this-idp-issued')).rejects.toMatchObject({
      code: 'ERR_TOKEN_INACTIVE',
      publicMessage: 'access token is not active',
    });
  });

  it('refuses an opaque token issued for another resource', async () => {
    const { verify } = await verifierFor({ issuers: [issuerConfig()] });
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, OTHER);

    await expect(verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_AUDIENCE' });
  });

  it('fails closed when Warden cannot introspect (wrong client secret)', async () => {
    const { verify } = await verifierFor({ issuers: [issuerConfig('wrong-secret')] });
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, RESOURCE);

    const error: unknown = await verify(token).catch((e: unknown) => e);
    expect(isWardenError(error, 'ERR_TOKEN_INTROSPECTION')).toBe(true);
    expect(isWardenError(error) && error.publicMessage).toBe(
      'access token could not be introspected',
    );
  });

  it('still verifies JWT access tokens from the same issuer locally', async () => {
    const { verify } = await verifierFor(
      { issuers: [issuerConfig()] },
      { publicUrl: JWT_RESOURCE },
    );
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, JWT_RESOURCE);

    expect(await verify(token)).toMatchObject({ tokenKind: 'jwt', agent: 'peer-agent-a' });
  });

  it('carries the DPoP binding of an opaque token (cnf.jkt from introspection)', async () => {
    const key = await generateDpopKey();
    const token = await boundToken(idp, 'peer-agent-a', ALL_SCOPES, url, key);

    const res = await callWarden(url, token);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe(
      'a DPoP-bound access token must be sent with the DPoP scheme',
    );
  });
});
