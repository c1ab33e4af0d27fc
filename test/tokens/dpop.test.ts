import { exportJWK } from 'jose';
import * as oidc from 'openid-client';
import { createClient } from 'redis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIdp } from '../../src/devidp/index.js';
import {
  ALL_SCOPES,
  clientToken,
  freePort,
  idpClient,
  startIdp,
  startWarden,
  type TestWarden,
} from '../support/harness.js';
import { callWarden, LIST_TASKS, rawPost, skillMessage } from './support.js';
import { boundToken, generateDpopKey, makeProof, type DpopKey } from './dpop-support.js';

// RFC 9449 DPoP at the resource server, with DPoP-bound tokens from the real dev IdP (obtained
// through openid-client with a DPoP proof) and a real DPoP client (openid-client's
// fetchProtectedResource). Hand-made proofs (jose) carry one flaw each.

const SHARED_URL = 'https://agent.example';
const REDIS_URL = 'redis://127.0.0.1:6379';
const KEY_PREFIX = `warden-test:${crypto.randomUUID()}:dpop:`;
const NONCE_SECRET = 'a-test-only-nonce-secret-of-enough-length';

let idp: DevIdp;
let warden: TestWarden;
let url: string;
let replicas: TestWarden[] = [];

beforeAll(async () => {
  const [port, portB1, portB2] = await Promise.all([freePort(), freePort(), freePort()]);
  url = `http://127.0.0.1:${port}`;
  idp = await startIdp([url, SHARED_URL]);
  const issuer = { issuer: idp.issuer, allowInsecureIssuer: true };

  warden = await startWarden({
    idp,
    port,
    overrides: {
      auth: { issuers: [issuer], dpop: { requiredForSkills: ['refunds'], requireNonce: true } },
    },
  });

  // Two replicas behind one public URL: Redis replay cache, shared nonce secret, DPoP required.
  const replay = { store: 'redis', redisUrl: REDIS_URL, keyPrefix: KEY_PREFIX };
  const dpop = { requireNonce: true, nonceSecret: NONCE_SECRET, replayCache: replay };
  replicas = await Promise.all(
    [portB1, portB2].map((replicaPort) =>
      startWarden({
        idp,
        port: replicaPort,
        overrides: {
          server: { port: replicaPort, publicUrl: SHARED_URL },
          auth: { issuers: [{ ...issuer, requireDpop: true }], dpop },
        },
      }),
    ),
  );
});

afterAll(async () => {
  await Promise.all([warden, ...replicas].map((w) => w?.close()));
  await idp?.close();
  await deleteRedisKeys();
});

const jsonRpcUrl = () => `${url}/a2a/jsonrpc`;

/** The nonce Warden hands out in its `use_dpop_nonce` challenge (RFC 9449 §9). */
async function fetchNonce(target: string, htu: string, key: DpopKey, token: string) {
  const proof = await makeProof(key, { htu, token });
  const res = await callWarden(target, token, LIST_TASKS, 'DPoP').set('DPoP', proof);
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toContain('DPoP error="use_dpop_nonce"');
  return String(res.headers['dpop-nonce']);
}

describe('DPoP with a real client', () => {
  it('serves openid-client, retrying on use_dpop_nonce as RFC 9449 §9 expects', async () => {
    const key = await generateDpopKey();
    const client = await idpClient(idp, 'peer-agent-a');
    const DPoP = oidc.getDPoPHandle(client, key.keyPair);
    const token = await boundToken(idp, 'peer-agent-a', ALL_SCOPES, url, key);

    const response = await oidc.fetchProtectedResource(
      client,
      token,
      new URL(jsonRpcUrl()),
      'POST',
      JSON.stringify(skillMessage('refunds', { orderId: 'o-1001', amount: 5 })),
      new Headers({ 'content-type': 'application/json', 'a2a-version': '1.0' }),
      { DPoP },
    );

    expect(response.status).toBe(200);
    expect(response.headers.get('dpop-nonce')).toBeTruthy();
    const body = (await response.json()) as { result: { task: { status: { state: string } } } };
    expect(body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
  });

  it('answers a missing token with both a Bearer and a DPoP challenge', async () => {
    const res = await callWarden(url, undefined);

    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${url}/.well-known/oauth-protected-resource", ` +
        `DPoP algs="ES256 EdDSA Ed25519 PS256", ` +
        `resource_metadata="${url}/.well-known/oauth-protected-resource"`,
    );
  });
});

describe('DPoP required for a skill (auth.dpop.requiredForSkills)', () => {
  it('refuses a bearer token for the skill with a DPoP challenge', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
    const res = await callWarden(
      url,
      token,
      skillMessage('refunds', { orderId: 'o-1001', amount: 5 }),
    );

    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      'DPoP error="invalid_token", error_description="this skill requires a DPoP-bound token", ' +
        'algs="ES256 EdDSA Ed25519 PS256", ' +
        `resource_metadata="${url}/.well-known/oauth-protected-resource"`,
    );
  });

  it('lets the same bearer token call a skill that does not require DPoP', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
    const res = await callWarden(url, token, skillMessage('order-history', { customerId: 'bob' }));

    expect(res.status).toBe(200);
  });

  it('says so in the card: the skill requires an OAuth scheme and DPoP together', async () => {
    const card = (await request(url).get('/.well-known/agent-card.json')).body;

    expect(card.securitySchemes.dpop).toEqual({
      httpAuthSecurityScheme: expect.objectContaining({ scheme: 'DPoP', bearerFormat: 'JWT' }),
    });
    const refunds = card.skills.find((skill: { id: string }) => skill.id === 'refunds');
    expect(refunds.securityRequirements[0].schemes).toEqual({
      oidc: { list: ['support.refunds.write', 'support.orders.read'] },
      dpop: {},
    });
    const history = card.skills.find((skill: { id: string }) => skill.id === 'order-history');
    expect(history.securityRequirements[0].schemes.dpop).toBeUndefined();
  });
});

describe('DPoP attacks: each proof flaw is refused', () => {
  let key: DpopKey;
  let token: string;
  let nonce: string;

  beforeAll(async () => {
    key = await generateDpopKey();
    token = await boundToken(idp, 'peer-agent-a', ALL_SCOPES, url, key);
    nonce = await fetchNonce(url, jsonRpcUrl(), key, token);
  });

  const send = (proof: string | undefined, scheme: 'DPoP' | 'Bearer' = 'DPoP') => {
    const call = callWarden(url, token, LIST_TASKS, scheme);
    return proof === undefined ? call : call.set('DPoP', proof);
  };
  const good = () => ({ htu: jsonRpcUrl(), token, nonce });

  it('accepts a correct proof once, then refuses its replay', async () => {
    const proof = await makeProof(key, good());

    expect((await send(proof)).status).toBe(200);
    const replayed = await send(proof);
    expect(replayed.status).toBe(401);
    expect(replayed.headers['www-authenticate']).toContain(
      'DPoP error="invalid_dpop_proof", error_description="DPoP proof has already been used"',
    );
  });

  const flaws: {
    name: string;
    proof: () => Promise<string>;
    error: string;
    description: string;
  }[] = [
    {
      name: 'wrong htm',
      proof: () => makeProof(key, { ...good(), htm: 'GET' }),
      error: 'invalid_dpop_proof',
      description: 'DPoP proof htm does not match the request method',
    },
    {
      name: 'wrong htu',
      proof: () => makeProof(key, { ...good(), htu: 'https://evil.example/a2a/jsonrpc' }),
      error: 'invalid_dpop_proof',
      description: 'DPoP proof htu does not match the request URL',
    },
    {
      name: 'stale iat',
      proof: () => makeProof(key, { ...good(), iat: Math.floor(Date.now() / 1000) - 600 }),
      error: 'invalid_dpop_proof',
      description: 'DPoP proof is stale (iat too old)',
    },
    {
      name: 'iat in the future',
      proof: () => makeProof(key, { ...good(), iat: Math.floor(Date.now() / 1000) + 600 }),
      error: 'invalid_dpop_proof',
      description: 'DPoP proof iat is in the future',
    },
    {
      name: 'wrong ath (the hash of another token)',
      proof: () => makeProof(key, { ...good(), token: `${token}x` }),
      error: 'invalid_dpop_proof',
      description: 'DPoP proof ath does not match the token',
    },
    {
      name: 'a proof key other than the one in cnf.jkt',
      proof: async () => makeProof(await generateDpopKey(), good()),
      error: 'invalid_token',
      description: 'DPoP proof key does not match the access token binding',
    },
    {
      name: 'typ other than dpop+jwt',
      proof: () => makeProof(key, good(), { typ: 'JWT' }),
      error: 'invalid_dpop_proof',
      description: 'DPoP proof typ is not dpop+jwt',
    },
    {
      name: 'a private key in the jwk header',
      proof: async () => {
        const { exportJWK } = await import('jose');
        const jwk = await exportJWK(key.keyPair.privateKey);
        return makeProof(key, good(), { jwk });
      },
      error: 'invalid_dpop_proof',
      description: 'DPoP proof jwk header is missing or not a public key',
    },
    {
      name: 'no nonce',
      proof: () => makeProof(key, { htu: jsonRpcUrl(), token }),
      error: 'use_dpop_nonce',
      description: 'DPoP proof must carry a fresh server nonce',
    },
    {
      name: 'a nonce Warden never issued',
      proof: () => makeProof(key, { ...good(), nonce: 'abc.forged' }),
      error: 'use_dpop_nonce',
      description: 'DPoP proof must carry a fresh server nonce',
    },
  ];

  it.each(flaws)('refuses $name', async ({ proof, error, description }) => {
    const res = await send(await proof());

    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain(
      `DPoP error="${error}", error_description="${description}"`,
    );
    expect(res.headers['www-authenticate']).toContain('resource_metadata="');
    expect(res.text).not.toContain(token);
  });

  it('refuses a bound token with no proof', async () => {
    const res = await send(undefined);

    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('a DPoP proof is required for this token');
    expect(res.headers['www-authenticate']).toContain('error="invalid_dpop_proof"');
  });

  it('refuses a bound token sent as a Bearer token, even with a valid proof', async () => {
    const res = await send(await makeProof(key, good()), 'Bearer');

    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe(
      'a DPoP-bound access token must be sent with the DPoP scheme',
    );
    expect(res.headers['www-authenticate']).toMatch(/^DPoP error="invalid_token"/);
  });

  it('refuses an unbound token under the DPoP scheme', async () => {
    const bearer = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
    const proof = await makeProof(key, { htu: jsonRpcUrl(), token: bearer, nonce });
    const res = await callWarden(url, bearer, LIST_TASKS, 'DPoP').set('DPoP', proof);

    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('access token is not DPoP-bound');
  });

  it('refuses two DPoP headers', async () => {
    const proof = await makeProof(key, good());
    const res = await rawPost(
      url,
      { authorization: `DPoP ${token}`, dpop: [proof, proof] },
      LIST_TASKS,
    );

    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).error.message).toBe('more than one DPoP header');
  });
});

describe('DPoP across replicas: Redis replay cache, shared nonces, issuer requiring DPoP', () => {
  const htu = `${SHARED_URL}/a2a/jsonrpc`;
  const address = (index: number) => `http://127.0.0.1:${replicas[index]?.config.server.port ?? 0}`;

  it('takes one replica nonce at the other, and refuses a proof replayed there', async () => {
    const key = await generateDpopKey();
    const token = await boundToken(idp, 'peer-agent-b', ALL_SCOPES, SHARED_URL, key);
    const nonce = await fetchNonce(address(0), htu, key, token);
    const proof = await makeProof(key, { htu, token, nonce });

    const first = await callWarden(address(1), token, LIST_TASKS, 'DPoP').set('DPoP', proof);
    expect(first.status).toBe(200);
    const replayed = await callWarden(address(0), token, LIST_TASKS, 'DPoP').set('DPoP', proof);
    expect(replayed.status).toBe(401);
    expect(replayed.body.error.message).toBe('DPoP proof has already been used');
  });

  it('keeps each seen proof in Redis no longer than its acceptance window', async () => {
    const redis = await createClient({ url: REDIS_URL }).connect();
    try {
      const keys = await redis.keys(`${KEY_PREFIX}*`);
      expect(keys.length).toBeGreaterThan(0);
      const ttl = await redis.ttl(keys[0] ?? '');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60 + 2 * 30);
    } finally {
      await redis.close();
    }
  });

  it('refuses an unbound token from an issuer that requires DPoP', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, SHARED_URL);
    const res = await callWarden(address(0), token);

    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(
      /^DPoP error="invalid_token", error_description="this issuer requires a DPoP-bound token"/,
    );
  });

  it('says so in the metadata and the card', async () => {
    const metadata = (await request(address(0)).get('/.well-known/oauth-protected-resource')).body;
    const card = (await request(address(0)).get('/.well-known/agent-card.json')).body;

    expect(metadata).toMatchObject({
      resource: SHARED_URL,
      dpop_bound_access_tokens_required: true,
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'Ed25519', 'PS256'],
    });
    // ProtoJSON leaves out empty lists: `{}` is a scheme required with no scopes.
    expect(card.securityRequirements[0].schemes).toEqual({ oidc: {}, dpop: {} });
  });
});

async function deleteRedisKeys(): Promise<void> {
  const redis = await createClient({ url: REDIS_URL }).connect();
  try {
    const keys = await redis.keys(`${KEY_PREFIX}*`);
    if (keys.length > 0) await redis.del(keys);
  } finally {
    await redis.close();
  }
}
