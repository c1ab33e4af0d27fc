import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIdp } from '../../src/devidp/index.js';
import { resolveConfig } from '../../src/config/load.js';
import { resourceMetadataUrl } from '../../src/auth/resource-metadata.js';
import {
  ALL_SCOPES,
  freePort,
  startIdp,
  startWarden,
  type TestWarden,
} from '../support/harness.js';
import { callWarden } from './support.js';

// RFC 9728 protected-resource metadata, generated from the configuration and the Agent Card, and
// the configuration checks that keep `auth` coherent.

let idp: DevIdp;
let warden: TestWarden;
let url: string;

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  idp = await startIdp([url]);
  warden = await startWarden({ idp, port });
});

afterAll(async () => {
  await warden?.close();
  await idp?.close();
});

describe('RFC 9728 protected-resource metadata', () => {
  it('is served publicly from the configuration and the card', async () => {
    const res = await request(url).get('/.well-known/oauth-protected-resource');

    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.body).toEqual({
      resource: url,
      authorization_servers: [idp.issuer],
      scopes_supported: ALL_SCOPES,
      bearer_methods_supported: ['header'],
      resource_name: 'Warden Support Agent',
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'Ed25519', 'PS256'],
      dpop_bound_access_tokens_required: false,
    });
  });

  it('is what every 401 points at', async () => {
    const res = await callWarden(url, 'not-a-jwt');
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(res.headers['www-authenticate'] ?? '');

    expect(metadataUrl?.[1]).toBe(`${url}/.well-known/oauth-protected-resource`);
    expect((await request(url).get(new URL(metadataUrl?.[1] ?? '').pathname)).status).toBe(200);
  });

  it('inserts the well-known suffix before the path of a public URL with one (§3.1)', () => {
    expect(resourceMetadataUrl('https://a.example/agents/support')).toBe(
      'https://a.example/.well-known/oauth-protected-resource/agents/support',
    );
  });
});

describe('auth configuration', () => {
  const base = {
    agentCard: 'card.yaml',
    agent: { module: 'agent.js' },
    cardSigning: { keyFile: 'key.json' },
  };
  const introspection = { clientId: 'warden', clientSecret: 'secret' };

  it.each([
    [
      'opaque tokens without introspection credentials',
      { issuers: [{ issuer: 'https://idp.example', tokenKinds: ['opaque'] }] },
      'auth.issuers.0.introspection: is required when tokenKinds includes "opaque"',
    ],
    [
      'two issuers accepting opaque tokens',
      {
        issuers: ['https://a.example', 'https://b.example'].map((issuer) => ({
          issuer,
          tokenKinds: ['opaque'],
          introspection,
        })),
      },
      'auth.issuers: at most one issuer may accept opaque tokens',
    ],
    [
      'a Redis replay cache without a URL',
      { dpop: { replayCache: { store: 'redis' } } },
      'auth.dpop.replayCache.redisUrl: is required when store is "redis"',
    ],
    [
      'HMAC among the algorithms',
      { issuers: [{ issuer: 'https://idp.example', algorithms: ['HS256'] }] },
      'auth.issuers.0.algorithms.0',
    ],
    [
      'an unknown claim preset',
      { issuers: [{ issuer: 'https://idp.example', preset: 'ping' }] },
      'auth.issuers.0.preset',
    ],
  ])('refuses %s, naming the key', (_name, auth, message) => {
    expect(() => resolveConfig({ ...base, auth })).toThrow(message);
  });

  it('refuses to start when requiredForSkills names a skill the agent lacks', async () => {
    const port = await freePort();
    const auth = {
      issuers: [{ issuer: idp.issuer, allowInsecureIssuer: true }],
      dpop: { requiredForSkills: ['wire-transfer'] },
    };

    await expect(startWarden({ idp, port, overrides: { auth } })).rejects.toThrow(
      'auth.dpop.requiredForSkills: unknown skill "wire-transfer"',
    );
  });
});
