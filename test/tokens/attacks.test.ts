import {
  base64url,
  CompactEncrypt,
  exportSPKI,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT_TYPE,
  type DevIdp,
} from '../../src/devidp/index.js';
import { createSupportAgent } from '../../examples/support-agent/agent.js';
import {
  ALL_SCOPES,
  clientToken,
  freePort,
  idpClient,
  startIdp,
  startWarden,
  userToken,
  type TestWarden,
} from '../support/harness.js';
import { startIdTokenIdp, type IdTokenIdp } from './id-token-idp.js';
import { callWarden, countingAgent, rawPost, skillMessage } from './support.js';
import {
  accessTokenClaims,
  generateTestKey,
  startTestIssuer,
  type TestIssuer,
  type TestKey,
} from './test-issuer.js';

// The attack suite of issue #3: every token below is refused with the RFC 6750 error its flaw
// calls for, the description names the flaw and never echoes the token, and no skill runs.
//
// Tokens come from the real dev IdP (oidc-provider) where it can produce the flaw (another
// resource, another issuer, delegation), and otherwise from `forged`, a test issuer Warden trusts
// whose key the test holds: a flawed token signed by a trusted key is the hardest case, since
// only the flaw itself can stop it. `attacker` is a key Warden has never seen.

const NOW_MS = Date.now();
const NOW = Math.floor(NOW_MS / 1000);

let idp: DevIdp;
let stranger: DevIdp;
let forged: TestIssuer;
let oidcProvider: IdTokenIdp;
let attacker: TestKey;
let warden: TestWarden;
let url: string;
const counting = countingAgent(createSupportAgent());

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  [idp, stranger, forged, attacker, oidcProvider] = await Promise.all([
    startIdp([url, 'https://other-resource.example']),
    startIdp([url]),
    startTestIssuer('RS256'),
    generateTestKey('RS256'),
    startIdTokenIdp(),
  ]);
  const delegation = { maxDepth: 1, allowedActors: ['peer-agent-a', 'peer-agent-b'] };
  warden = await startWarden({
    idp,
    port,
    agent: counting.agent,
    now: () => new Date(NOW_MS),
    overrides: {
      auth: {
        issuers: [
          { issuer: idp.issuer, allowInsecureIssuer: true, delegation },
          { issuer: forged.issuer, allowInsecureIssuer: true, algorithms: ['RS256'] },
          { issuer: oidcProvider.issuer, allowInsecureIssuer: true },
        ],
      },
    },
  });
});

afterAll(async () => {
  await warden?.close();
  await Promise.all([idp?.close(), stranger?.close(), forged?.close(), oidcProvider?.close()]);
});

const claims = (extra: JWTPayload = {}) => accessTokenClaims(forged.issuer, url, NOW, extra);
const forgedKey = () => forged.keys[0] as TestKey;

function without(payload: JWTPayload, claim: string): JWTPayload {
  return Object.fromEntries(Object.entries(payload).filter(([name]) => name !== claim));
}

function unsigned(header: object, payload: object): string {
  const encode = (part: object) => base64url.encode(JSON.stringify(part));
  return `${encode(header)}.${encode(payload)}.`;
}

async function signWith(key: TestKey, header: Record<string, unknown>, payload = claims()) {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
    .sign(key.privateKey);
}

async function exchangeToken(clientId: string, subjectToken: string): Promise<string> {
  const client = await idpClient(idp, clientId);
  const response = await oidc.genericGrantRequest(client, TOKEN_EXCHANGE_GRANT_TYPE, {
    subject_token: subjectToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    scope: ALL_SCOPES.join(' '),
    resource: url,
  });
  return response.access_token;
}

/** One attack: how to make its token, and the `error_description` it must be answered with. */
interface Attack {
  name: string;
  token: () => Promise<string>;
  description: string;
}

const attacks: Attack[] = [
  {
    name: 'alg "none"',
    token: async () => unsigned({ alg: 'none', typ: 'at+jwt' }, claims()),
    description: 'access token algorithm is not allowed',
  },
  {
    name: 'HS256 signed with the issuer RSA public key as the secret',
    token: async () => {
      const publicKey = await importJWK(forgedKey().publicJwk, 'RS256');
      const secret = new TextEncoder().encode(await exportSPKI(publicKey as CryptoKey));
      return new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', kid: forgedKey().kid, typ: 'at+jwt' })
        .sign(secret);
    },
    description: 'access token algorithm is not allowed',
  },
  {
    name: '"kid" path traversal',
    token: () => signWith(attacker, { kid: '../../../../../../dev/null' }),
    description: 'access token signing key is unknown',
  },
  {
    name: '"kid" SQL injection',
    token: () => signWith(attacker, { kid: "x' UNION SELECT 'secret' --" }),
    description: 'access token header "kid" is malformed',
  },
  {
    name: '"jku" header pointing at the attacker\'s keys',
    token: () => signWith(attacker, { jku: 'https://attacker.example/jwks.json' }),
    description: 'access token header "jku" is not accepted',
  },
  {
    name: '"x5u" header pointing at the attacker\'s certificate',
    token: () => signWith(attacker, { x5u: 'https://attacker.example/cert.pem' }),
    description: 'access token header "x5u" is not accepted',
  },
  {
    name: 'embedded "jwk" header with the attacker\'s own key',
    token: () => signWith(attacker, { jwk: attacker.publicJwk }),
    description: 'access token header "jwk" is not accepted',
  },
  {
    name: 'an unknown "crit" extension, signed by a trusted key',
    token: () =>
      new SignJWT(claims())
        .setProtectedHeader({
          alg: 'RS256',
          kid: forgedKey().kid,
          typ: 'at+jwt',
          crit: ['urn:example:must-understand'],
          'urn:example:must-understand': true,
        })
        .sign(forgedKey().privateKey, { crit: { 'urn:example:must-understand': true } }),
    description: 'access token header uses an unsupported extension',
  },
  {
    name: 'expired',
    token: () => forged.mint(claims({ iat: NOW - 4000, exp: NOW - 3600 })),
    description: 'access token expired',
  },
  {
    name: 'not yet valid ("nbf" an hour ahead)',
    token: () => forged.mint(claims({ nbf: NOW + 3600, exp: NOW + 7200 })),
    description: 'access token is not yet valid',
  },
  {
    name: '"iat" in the future',
    token: () => forged.mint(claims({ iat: NOW + 3600, exp: NOW + 7200 })),
    description: 'access token was issued in the future',
  },
  {
    name: 'older than the issuer allows (a day-old token with a far "exp")',
    token: () => forged.mint(claims({ iat: NOW - 90_000, exp: NOW + 3600 })),
    description: 'access token is older than this issuer allows',
  },
  {
    name: 'missing "exp"',
    token: () => forged.mint(without(claims(), 'exp')),
    description: 'access token claim "exp" is missing',
  },
  {
    name: 'missing "client_id"',
    token: () => forged.mint(without(claims(), 'client_id')),
    description: 'access token claim "client_id" is missing',
  },
  {
    name: 'wrong "iss": a real token from an IdP Warden does not trust',
    token: () => clientToken(stranger, 'peer-agent-a', ALL_SCOPES, url),
    description: 'access token issuer is not trusted',
  },
  {
    name: 'wrong "aud", signed by a trusted key',
    token: () => forged.mint(claims({ aud: 'https://another-agent.example' })),
    description: 'access token is for another audience',
  },
  {
    name: 'a real token minted for another resource (RFC 8707)',
    token: () => clientToken(idp, 'peer-agent-a', ALL_SCOPES, 'https://other-resource.example'),
    description: 'access token is for another audience',
  },
  {
    name: 'a real ID token (oidc-provider) presented as an access token',
    token: () => oidcProvider.idToken('peer-agent-a', 'alice'),
    description: 'access token "typ" header is not "at+jwt"',
  },
  {
    // An OpenID Connect ID token (`typ: JWT`, OIDC Core §2) whose `aud` happens to be this
    // agent, signed by the trusted key: only the RFC 9068 `typ` check can tell it apart.
    name: 'an ID token whose aud is this agent, signed by a trusted key',
    token: () =>
      forged.mint(
        {
          ...without(claims(), 'client_id'),
          azp: 'peer-agent-a',
          auth_time: NOW - 60,
          nonce: 'n-0S6_WzA2Mj',
        },
        { header: { typ: 'JWT' } },
      ),
    description: 'access token "typ" header is not "at+jwt"',
  },
  {
    name: 'a JWE (encrypted token)',
    token: () =>
      new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claims())))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
        .encrypt(crypto.getRandomValues(new Uint8Array(32))),
    description: 'encrypted (JWE) access tokens are not accepted',
  },
  {
    name: 'a tampered payload (scope widened, signature kept)',
    token: async () => {
      const token = await clientToken(idp, 'peer-agent-a', ['support.orders.read'], url);
      const [header, payload, signature] = token.split('.');
      const decoded = new TextDecoder().decode(base64url.decode(payload ?? ''));
      const widened = { ...JSON.parse(decoded), scope: 'support.refunds.write' };
      return `${header}.${base64url.encode(JSON.stringify(widened))}.${signature}`;
    },
    description: 'access token signature is invalid',
  },
  {
    name: 'a delegation chain deeper than allowed (real RFC 8693 exchange of an exchange)',
    token: async () => {
      const first = await userToken(idp, 'peer-agent-a', 'bob', ALL_SCOPES, url);
      return exchangeToken('peer-agent-b', first);
    },
    description: 'access token delegation chain is too deep',
  },
  {
    name: 'a delegation chain naming an actor that is not allowed',
    token: () => userToken(idp, 'operator', 'bob', ALL_SCOPES, url),
    description: 'access token delegation chain names an actor that is not allowed',
  },
];

describe('attack suite: every flawed token is refused before any skill runs', () => {
  it.each(attacks)('refuses $name', async ({ token: makeToken, description }) => {
    const token = await makeToken();
    const res = await callWarden(url, token, skillMessage('order-history', { customerId: 'bob' }));

    expect(res.status).toBe(401);
    // RFC 6750 §3 allows no `"` inside a challenge attribute: the header drops them.
    const quoteless = description.replaceAll('"', '');
    expect(res.headers['www-authenticate']).toBe(
      `Bearer error="invalid_token", error_description="${quoteless}", ` +
        `resource_metadata="${url}/.well-known/oauth-protected-resource"`,
    );
    expect(res.body.error).toMatchObject({ code: -31401, message: description });
    expectNothingLeaked(res.text + JSON.stringify(res.headers), token);
  });

  it('refuses a token in the query string with 400 invalid_request', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
    const res = await callWarden(`${url}`, undefined).query({ access_token: token });

    expect(res.status).toBe(400);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
    expect(res.body.error.message).toBe('access tokens are not accepted in the URL query');
    expectNothingLeaked(res.text + JSON.stringify(res.headers), token);
  });

  it('refuses two Authorization headers with 400 invalid_request', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
    const res = await rawPost(
      url,
      { authorization: [`Bearer ${token}`, `Bearer ${token}`] },
      skillMessage('order-history', { customerId: 'bob' }),
    );

    expect(res.status).toBe(400);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
    expect(JSON.parse(res.body).error.message).toBe('more than one Authorization header');
  });

  it('refuses a 12 KB token with 400 invalid_request naming the header limit', async () => {
    const res = await callWarden(url, 'a'.repeat(12 * 1024));

    expect(res.status).toBe(400);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
    expect(res.body.error.message).toBe('Authorization header exceeds 8192 bytes');
  });

  // Node's HTTP parser refuses a header block over 16 KiB (--max-http-header-size) with 431
  // before Warden sees the request; raising that limit would let every connection hold more.
  it('never lets a 100 KB token reach Warden: Node answers 431 or hangs up', async () => {
    const res = await rawPost(url, { authorization: `Bearer ${'a'.repeat(100 * 1024)}` }, {});

    if (res.status === undefined) expect(res.error).toMatch(/ECONNRESET|EPIPE|socket hang up/);
    else expect(res.status).toBe(431);
  });

  it('ran no skill for any of them', () => {
    expect(counting.runs()).toBe(0);
  });

  it('still serves the same skill to a valid token (the suite refuses only flaws)', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
    const res = await callWarden(url, token, skillMessage('order-history', { customerId: 'bob' }));

    expect(res.status).toBe(200);
    expect(res.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(counting.runs()).toBe(1);
  });
});

describe('bad input: malformed credentials are named, never echoed', () => {
  const b64 = (value: string) => base64url.encode(value);

  it.each([
    ['Bearer', 400, 'Authorization header is not a valid Bearer or DPoP credential'],
    ['Bearer two tokens', 400, 'Authorization header is not a valid Bearer or DPoP credential'],
    ['Bearer tok"en', 400, 'Authorization header is not a valid Bearer or DPoP credential'],
    ['Basic cGVlcjpzZWNyZXQ=', 401, 'a Bearer or DPoP access token is required'],
    ['Bearer abc.def.ghi', 401, 'access token is not a JWT'],
    [`Bearer ${b64('[1]')}.${b64('{}')}.sig`, 401, 'access token is not a JWT'],
    [`Bearer ${b64('{"alg":"ES256"}')}.${b64('"x"')}.sig`, 401, 'access token is not a JWT'],
    [
      `Bearer ${b64('{"alg":"ES256"}')}.${b64('{"iss":7}')}.sig`,
      401,
      'access token issuer is not trusted',
    ],
    ['Bearer a.b.c.d', 401, 'access token is not a JWT'],
  ])('%s -> %i', async (authorization, status, message) => {
    const res = await callWarden(url, undefined).set('Authorization', authorization);

    expect(res.status).toBe(status);
    expect(res.body.error.message).toBe(message);
    expect(res.headers['www-authenticate']).toContain('resource_metadata=');
    const credential = authorization.split(' ')[1];
    if (credential !== undefined && credential.length > 8)
      expect(res.text).not.toContain(credential);
  });
});

function expectNothingLeaked(text: string, token: string): void {
  expect(text).not.toContain(token);
  expect(text).not.toMatch(/\bat [\w.<>]+ \(|node:internal|Error:/);
}
