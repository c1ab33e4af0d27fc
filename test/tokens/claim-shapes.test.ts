import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, type TestIssuer } from './test-issuer.js';
import { verifierFor } from './verifier.js';

// Each IdP spells the caller differently. These sample tokens follow the shapes each IdP
// documents for its access tokens (header and claims), signed by a test issuer Warden trusts and
// checked through the shipped preset. Times are the test's own, everything else is as issued.

const AUDIENCE = 'https://support-agent.example';
const NOW = Math.floor(Date.now() / 1000);
const times = { iat: NOW - 10, exp: NOW + 3600 };

let okta: TestIssuer;
let entra: TestIssuer;
let keycloak: TestIssuer;
let auth0: TestIssuer;
let verifier: Awaited<ReturnType<typeof verifierFor>>;

beforeAll(async () => {
  [okta, entra, keycloak, auth0] = await Promise.all([
    startTestIssuer('RS256'),
    startTestIssuer('RS256'),
    startTestIssuer('RS256'),
    startTestIssuer('RS256'),
  ]);
  const trust = (issuer: TestIssuer, preset: string, extra: object = {}) => ({
    issuer: issuer.issuer,
    allowInsecureIssuer: true,
    audience: AUDIENCE,
    algorithms: ['RS256'],
    preset,
    ...extra,
  });
  verifier = await verifierFor({
    issuers: [
      trust(okta, 'okta'),
      trust(entra, 'entra'),
      trust(keycloak, 'keycloak'),
      // Auth0 roles live in a namespaced custom claim, which contains dots of its own.
      trust(auth0, 'auth0', { claims: { roles: ['https://warden.example/roles'] } }),
    ],
  });
});

afterAll(async () => {
  await Promise.all([okta, entra, keycloak, auth0].map((issuer) => issuer?.close()));
});

// Header without `typ`, as Okta sends it.
const untyped = { header: { typ: undefined } };
const jwtTyped = { header: { typ: 'JWT' } };

describe('Okta (custom authorization server)', () => {
  it('maps cid, scp (array), groups and jti for a user token', async () => {
    const token = await okta.mint(
      {
        ver: 1,
        jti: 'AT.Yh8rP3q8Yw6vS1xS2nqK0r3n4m5o6p7q8r9s0t1u2v3',
        iss: okta.issuer,
        aud: AUDIENCE,
        ...times,
        cid: '0oa1peeragentA',
        uid: '00u1alice',
        scp: ['support.orders.read', 'support.profile.read'],
        auth_time: NOW - 100,
        sub: 'alice@example.com',
        groups: ['Support', 'Everyone'],
      },
      untyped,
    );

    expect(await verifier.verify(token)).toMatchObject({
      agent: '0oa1peeragentA',
      user: 'alice@example.com',
      scopes: new Set(['support.orders.read', 'support.profile.read']),
      groups: new Set(['Support', 'Everyone']),
      roles: new Set(),
      tenant: undefined,
      tokenId: 'AT.Yh8rP3q8Yw6vS1xS2nqK0r3n4m5o6p7q8r9s0t1u2v3',
    });
  });

  it('reads a client-credentials token (sub = cid) as the client alone', async () => {
    const claims = { iss: okta.issuer, aud: AUDIENCE, ...times, cid: '0oa1peer', sub: '0oa1peer' };
    const token = await okta.mint(
      { ...claims, jti: 'AT.1', scp: ['support.orders.read'] },
      untyped,
    );

    expect(await verifier.verify(token)).toMatchObject({ agent: '0oa1peer', user: undefined });
  });
});

describe('Microsoft Entra ID (v2 access tokens)', () => {
  const base = {
    aud: AUDIENCE,
    ...times,
    nbf: NOW - 10,
    aio: 'AWQAm/8TAAAA',
    azp: '6e74172b-be56-4843-9ff4-e66a39bb12e3',
    azpacr: '1',
    rh: '0.AAAAiL9',
    tid: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    uti: 'fqiBqXLPj0eQa82S-IYFAA',
    ver: '2.0',
  };

  it('maps azp, scp (a string), roles, groups, tid and uti for a delegated token', async () => {
    const token = await entra.mint(
      {
        ...base,
        iss: entra.issuer,
        name: 'Alice',
        oid: '690222be-ff1a-4d56-abd1-7e4f7d38e474',
        preferred_username: 'alice@contoso.example',
        scp: 'support.orders.read support.profile.read',
        roles: ['Support.Agent'],
        groups: ['0b1d5f2a-6c3e-4b7a-9d8e-1f2a3b4c5d6e'],
        sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
      },
      jwtTyped,
    );

    expect(await verifier.verify(token)).toMatchObject({
      agent: '6e74172b-be56-4843-9ff4-e66a39bb12e3',
      user: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
      scopes: new Set(['support.orders.read', 'support.profile.read']),
      roles: new Set(['Support.Agent']),
      groups: new Set(['0b1d5f2a-6c3e-4b7a-9d8e-1f2a3b4c5d6e']),
      tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      tokenId: 'fqiBqXLPj0eQa82S-IYFAA',
    });
  });

  it('reads an app-only token (no scp, sub = oid, idtyp app) as the client alone', async () => {
    const oid = 'a6c7d8e9-0000-4000-8000-000000000001';
    const claims = { ...base, iss: entra.issuer, oid, sub: oid, idtyp: 'app' };
    const token = await entra.mint({ ...claims, roles: ['Orders.Read.All'] }, jwtTyped);

    expect(await verifier.verify(token)).toMatchObject({
      agent: base.azp,
      user: undefined,
      scopes: new Set(),
      roles: new Set(['Orders.Read.All']),
    });
  });
});

describe('Keycloak', () => {
  it('maps azp, scope, realm_access.roles and groups', async () => {
    const token = await keycloak.mint(
      {
        ...times,
        jti: 'onrtac:3f4b1c2d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
        iss: keycloak.issuer,
        aud: [AUDIENCE, 'account'],
        sub: 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9',
        typ: 'Bearer',
        azp: 'peer-agent',
        sid: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
        acr: '1',
        realm_access: { roles: ['support-agent', 'offline_access'] },
        resource_access: { account: { roles: ['manage-account'] } },
        scope: 'openid support.orders.read profile',
        preferred_username: 'alice',
        groups: ['/support'],
      },
      jwtTyped,
    );

    expect(await verifier.verify(token)).toMatchObject({
      agent: 'peer-agent',
      user: 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9',
      scopes: new Set(['openid', 'support.orders.read', 'profile']),
      roles: new Set(['support-agent', 'offline_access']),
      groups: new Set(['/support']),
      tokenId: 'onrtac:3f4b1c2d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    });
  });

  it("reads a service account's token as the client alone", async () => {
    const token = await keycloak.mint(
      {
        ...times,
        jti: 'k-2',
        iss: keycloak.issuer,
        aud: AUDIENCE,
        sub: '0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a',
        azp: 'peer-agent',
        client_id: 'peer-agent',
        preferred_username: 'service-account-peer-agent',
        scope: 'support.orders.read',
      },
      jwtTyped,
    );

    expect(await verifier.verify(token)).toMatchObject({ agent: 'peer-agent', user: undefined });
  });
});

describe('Auth0', () => {
  it('maps azp, scope with permissions, a namespaced roles claim and org_id', async () => {
    const token = await auth0.mint(
      {
        iss: auth0.issuer,
        sub: 'auth0|64b7f0c2a1b2c3d4e5f6a7b8',
        aud: [AUDIENCE, `${auth0.issuer}/userinfo`],
        ...times,
        azp: 'Peer4g3ntCl13nt1d',
        scope: 'openid profile support.orders.read',
        permissions: ['support.orders.read', 'support.refunds.write'],
        org_id: 'org_9ZbqW1o3LaTf2Pk4',
        'https://warden.example/roles': ['support'],
        jti: 'a0-1',
      },
      jwtTyped,
    );

    expect(await verifier.verify(token)).toMatchObject({
      agent: 'Peer4g3ntCl13nt1d',
      user: 'auth0|64b7f0c2a1b2c3d4e5f6a7b8',
      scopes: new Set(['openid', 'profile', 'support.orders.read', 'support.refunds.write']),
      roles: new Set(['support']),
      tenant: 'org_9ZbqW1o3LaTf2Pk4',
    });
  });

  it('reads a machine-to-machine token (sub = <client>@clients) as the client alone', async () => {
    const token = await auth0.mint(
      {
        iss: auth0.issuer,
        sub: 'Peer4g3ntCl13nt1d@clients',
        aud: AUDIENCE,
        ...times,
        azp: 'Peer4g3ntCl13nt1d',
        gty: 'client-credentials',
        scope: 'support.orders.read',
      },
      jwtTyped,
    );

    expect(await verifier.verify(token)).toMatchObject({
      agent: 'Peer4g3ntCl13nt1d',
      user: undefined,
    });
  });
});

describe('typ with presets that do not require at+jwt', () => {
  it('still refuses a token explicitly typed as something else (RFC 8725 §3.11)', async () => {
    const claims = { iss: okta.issuer, aud: AUDIENCE, ...times, cid: 'c', sub: 'c', jti: 'x' };
    const token = await okta.mint(claims, { header: { typ: 'dpop+jwt' } });

    await expect(verifier.verify(token)).rejects.toMatchObject({
      code: 'ERR_TOKEN_TYPE',
      message: 'access token "typ" header is not an access token',
    });
  });
});
