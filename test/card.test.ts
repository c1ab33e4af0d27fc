import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AgentCard,
  canonicalizeAgentCard,
  generateAgentCardSignature,
  verifyAgentCardSignature,
} from '@a2a-js/sdk';
import { agentCardHandler } from '@a2a-js/sdk/server/express';
import canonicalize from 'canonicalize';
import express from 'express';
import {
  base64url,
  calculateJwkThumbprint,
  decodeProtectedHeader,
  exportJWK,
  flattenedVerify,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  buildAgentCard,
  JSONRPC_PATH,
  REST_PATH,
  securitySchemeNames,
  type CardIssuer,
} from '../src/card/build.js';
import {
  AGENT_CARD_PATH,
  agentCardRoutes,
  ifNoneMatchMatches,
  JWKS_PATH,
} from '../src/card/routes.js';
import { canonicalCardPayload, signAgentCard } from '../src/card/sign.js';
import { loadSigningKey, type CardSigningKey } from '../src/card/signing-key.js';
import { loadCardSource, skillScopes, type CardSource } from '../src/card/source.js';
import { isWardenError, type WardenErrorCode } from '../src/errors.js';
import { createLogger } from '../src/log/logger.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/agent-card.yaml', import.meta.url));
const PUBLIC_URL = 'https://warden.example.com';
const JWKS_URL = PUBLIC_URL + JWKS_PATH;

const ISSUERS: CardIssuer[] = [
  {
    issuer: 'https://idp.example.com',
    discoveryUrl: 'https://idp.example.com/.well-known/openid-configuration',
    tokenEndpoint: 'https://idp.example.com/oauth2/token',
  },
  {
    issuer: 'https://login.partner.example/tenant-7',
    discoveryUrl: 'https://login.partner.example/tenant-7/.well-known/openid-configuration',
    tokenEndpoint: 'https://login.partner.example/tenant-7/token',
  },
];

/** The ProtoJSON fields these tests read; the served text is parsed into this. */
interface ProtoJsonCard {
  description: string;
  securityRequirements: { schemes: Record<string, { list?: string[] }> }[];
  skills: {
    id: string;
    securityRequirements: { schemes: Record<string, { list?: string[] }> }[];
  }[];
  signatures: { protected: string; signature: string }[];
}

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-card-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

function silentLogger() {
  return createLogger({ silent: true });
}

/** Runs `fn` and returns what it threw, so code and message can be asserted together. */
async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function expectWardenError(error: unknown, code: WardenErrorCode, ...parts: string[]): void {
  expect(isWardenError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
  for (const part of parts) {
    expect((error as Error).message).toContain(part);
  }
}

/** Writes a variant of the fixture, changed by `mutate`, and returns its path. */
function writeVariant(name: string, mutate: (source: Record<string, unknown>) => void): string {
  const source = parseYaml(fs.readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
  mutate(source);

  const file = path.join(tmp, name);
  fs.writeFileSync(file, stringifyYaml(source));
  return file;
}

function skillsOf(source: Record<string, unknown>): Record<string, unknown>[] {
  return source.skills as Record<string, unknown>[];
}

/** A shallow copy of `object` without `keys`. */
function without(object: object, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)));
}

/** Verifies the first signature with nothing of Warden's: RFC 8785 by `canonicalize` and jose. */
async function verifyIndependently(cardJson: unknown, jwks: { keys: JWK[] }) {
  const { signatures, ...unsigned } = cardJson as ProtoJsonCard;
  const [entry] = signatures;
  if (!entry) throw new Error('card is not signed');

  const header = decodeProtectedHeader(entry);
  const jwk = jwks.keys.find((key) => key.kid === header.kid);
  if (!jwk || !header.alg) throw new Error(`no JWK for kid ${String(header.kid)}`);

  const payload = base64url.encode(canonicalize(unsigned) ?? '');
  const key = await importJWK(jwk, header.alg);
  await flattenedVerify({ ...entry, payload }, key, { algorithms: [header.alg] });
  return header;
}

describe('Agent Card source', () => {
  it('loads the fixture with defaults applied', () => {
    const source = loadCardSource(FIXTURE);

    expect(source.name).toBe('Warden Support Agent');
    expect(source.capabilities).toEqual({ streaming: true, pushNotifications: false });
    expect(source.skills.map((skill) => [skill.id, skill.extendedOnly])).toEqual([
      ['customer-profile', false],
      ['order-refund', false],
      ['audit-trail', true],
    ]);
  });

  it('reads a JSON source like the YAML one', () => {
    const file = path.join(tmp, 'agent-card.json');
    fs.writeFileSync(file, JSON.stringify(parseYaml(fs.readFileSync(FIXTURE, 'utf8'))));

    expect(loadCardSource(file)).toEqual(loadCardSource(FIXTURE));
  });

  it('gives the enforced table: every skill, extended-only ones too, to all its scopes', () => {
    const table = skillScopes(loadCardSource(FIXTURE));

    expect([...table]).toEqual([
      ['customer-profile', ['support.profile.read']],
      ['order-refund', ['support.orders.read', 'support.refunds.write']],
      ['audit-trail', ['support.audit.read']],
    ]);
    expect(Object.isFrozen(table.get('order-refund'))).toBe(true);
  });

  it.each<[string, (source: Record<string, unknown>) => void, string, string]>([
    [
      'an undeclared scope',
      (source) => {
        skillsOf(source)[1]!.scopes = ['support.orders.read', 'support.orders.delete'];
      },
      'skills[1].scopes[1]',
      'scope "support.orders.delete" is not declared under "scopes"',
    ],
    [
      'a duplicate skill id',
      (source) => {
        skillsOf(source)[2]!.id = 'customer-profile';
      },
      'skills[2].id',
      'duplicate skill id "customer-profile"',
    ],
    [
      'a missing name',
      (source) => {
        delete source.name;
      },
      '\n  name: ',
      'expected string',
    ],
    [
      'no skills',
      (source) => {
        source.skills = [];
      },
      'skills',
      'must declare at least one skill',
    ],
    [
      'only extended-only skills',
      (source) => {
        skillsOf(source).forEach((skill) => (skill.extendedOnly = true));
      },
      'skills',
      'at least one skill must be public',
    ],
    [
      'a misspelt key that would publish a skill',
      (source) => {
        skillsOf(source)[2]!.extendedonly = true;
      },
      'skills[2]',
      'Unrecognized key: "extendedonly"',
    ],
    [
      'extendedAgentCard in capabilities (Warden decides it)',
      (source) => {
        source.capabilities = { streaming: true, extendedAgentCard: false };
      },
      'capabilities',
      '"extendedAgentCard"',
    ],
    [
      'a scope name with a space',
      (source) => {
        source.scopes = { 'support read': 'Read' };
      },
      'scopes["support read"]',
      'OAuth scope token',
    ],
    [
      'a javascript: URL',
      (source) => {
        source.documentationUrl = 'javascript:alert(1)';
      },
      'documentationUrl',
      'http(s) URL',
    ],
  ])('rejects %s, naming the file and the key', async (_case, mutate, key, detail) => {
    const file = writeVariant('invalid.yaml', mutate);

    const error = await caught(() => loadCardSource(file));

    expectWardenError(error, 'ERR_AGENT_CARD_INVALID', file, `${key}`, detail);
  });

  it('rejects a file that does not exist and YAML with duplicate keys', async () => {
    const missing = path.join(tmp, 'missing.yaml');
    expectWardenError(
      await caught(() => loadCardSource(missing)),
      'ERR_AGENT_CARD_INVALID',
      missing,
    );

    const duplicate = path.join(tmp, 'duplicate.yaml');
    fs.writeFileSync(duplicate, 'name: a\nname: b\n');
    const error = await caught(() => loadCardSource(duplicate));
    expectWardenError(error, 'ERR_AGENT_CARD_INVALID', duplicate, 'not valid YAML/JSON');
  });
});

describe('building the card', () => {
  let source: CardSource;

  beforeAll(() => {
    source = loadCardSource(FIXTURE);
  });

  it('names the schemes of each issuer stably', () => {
    expect(securitySchemeNames(0)).toEqual({ openIdConnect: 'oidc', oauth2: 'oauth2' });
    expect(securitySchemeNames(1)).toEqual({ openIdConnect: 'oidc-2', oauth2: 'oauth2-2' });
  });

  it('lists extended-only skills in the extended card alone', () => {
    const skillIds = (extended: boolean) =>
      buildAgentCard(source, { publicUrl: PUBLIC_URL, issuers: ISSUERS }, { extended }).skills.map(
        (skill) => skill.id,
      );

    expect(skillIds(false)).toEqual(['customer-profile', 'order-refund']);
    expect(skillIds(true)).toEqual(['customer-profile', 'order-refund', 'audit-trail']);
  });

  it('declares extendedAgentCard and the skill requirements in the extended card too', () => {
    const card = buildAgentCard(
      source,
      { publicUrl: PUBLIC_URL, issuers: ISSUERS },
      { extended: true },
    );
    const json = AgentCard.toJSON(card);

    expect(json).toHaveProperty(['capabilities', 'extendedAgentCard'], true);
    expect(json).toHaveProperty(
      ['skills', 2, 'securityRequirements', 0, 'schemes', 'oidc', 'list'],
      ['support.audit.read'],
    );
  });

  it('refuses to build a card without a trusted issuer', async () => {
    const error = await caught(() =>
      buildAgentCard(source, { publicUrl: PUBLIC_URL, issuers: [] }, { extended: false }),
    );

    expectWardenError(error, 'ERR_AGENT_CARD_INVALID', 'no trusted issuer');
  });
});

describe('the card signing key', () => {
  it('generates a key file with mode 0600 in a new directory, warning once', async () => {
    const keyFile = path.join(tmp, 'generated', 'nested', 'card.jwk');
    const logger = silentLogger();
    const warn = vi.spyOn(logger, 'warn');

    const key = await loadSigningKey(
      { keyFile, generateIfMissing: true, algorithm: 'ES256' },
      logger,
    );
    const again = await loadSigningKey(
      { keyFile, generateIfMissing: true, algorithm: 'ES256' },
      logger,
    );

    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as JWK;
    expect(stored).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: key.kid });
    expect(key.kid).toBe(await calculateJwkThumbprint(key.publicJwk));
    expect(again.kid).toBe(key.kid);

    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({ code: 'WARDEN_CARD_KEY_GENERATED', keyFile }),
    );
    expect(JSON.stringify(warn.mock.calls)).not.toContain(stored.d);
  });

  it('keeps private members out of the public JWK', async () => {
    const keyFile = path.join(tmp, 'rsa', 'card.jwk');

    const key = await loadSigningKey(
      { keyFile, generateIfMissing: true, algorithm: 'RS256' },
      silentLogger(),
    );

    expect(Object.keys(key.publicJwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });

  it('fails naming the file when it is absent and generation is off', async () => {
    const keyFile = path.join(tmp, 'absent', 'card.jwk');

    const error = await caught(() =>
      loadSigningKey({ keyFile, generateIfMissing: false, algorithm: 'ES256' }, silentLogger()),
    );

    expectWardenError(error, 'ERR_SIGNING_KEY', keyFile, 'does not exist');
    expect(fs.existsSync(keyFile)).toBe(false);
  });

  it('rejects a public-only JWK, and one whose public half belongs to another key', async () => {
    const one = await generateKeyPair('ES256', { extractable: true });
    const other = await generateKeyPair('ES256', { extractable: true });
    const publicOnly = { ...(await exportJWK(one.publicKey)), alg: 'ES256', kid: 'k1' };
    const { x, y } = await exportJWK(other.publicKey);
    const mismatched = { ...(await exportJWK(one.privateKey)), x, y, alg: 'ES256', kid: 'k1' };

    const load = async (name: string, jwk: object) => {
      const keyFile = path.join(tmp, name);
      fs.writeFileSync(keyFile, JSON.stringify(jwk), { mode: 0o600 });
      return caught(() =>
        loadSigningKey({ keyFile, generateIfMissing: false, algorithm: 'ES256' }, silentLogger()),
      );
    };

    expectWardenError(await load('public.jwk', publicOnly), 'ERR_SIGNING_KEY', 'check: d');
    expectWardenError(await load('mixed.jwk', mismatched), 'ERR_SIGNING_KEY', 'does not sign');
  });

  it('does not quote a malformed key file in its message', async () => {
    const keyFile = path.join(tmp, 'broken.jwk');
    fs.writeFileSync(keyFile, '{"kty":"EC","d":"c2VjcmV0LWtleS1tYXRlcmlhbA"', { mode: 0o600 });

    const error = await caught(() =>
      loadSigningKey({ keyFile, generateIfMissing: false, algorithm: 'ES256' }, silentLogger()),
    );

    expectWardenError(error, 'ERR_SIGNING_KEY', keyFile, 'not valid JSON');
    expect((error as Error).message).not.toContain('c2VjcmV0');
    expect((error as Error).cause).toBeUndefined();
  });
});

describe('serving the signed card', () => {
  let key: CardSigningKey;
  let app: express.Express;

  beforeAll(async () => {
    const source = loadCardSource(FIXTURE);
    const keyFile = path.join(tmp, 'served', 'card.jwk');
    key = await loadSigningKey(
      { keyFile, generateIfMissing: true, algorithm: 'ES256' },
      silentLogger(),
    );

    const card = buildAgentCard(
      source,
      { publicUrl: PUBLIC_URL, issuers: ISSUERS },
      { extended: false },
    );
    const signed = await signAgentCard(card, key, JWKS_URL);
    app = express().use(agentCardRoutes({ card: signed, jwks: { keys: [key.publicJwk] } }));
  });

  async function fetchCard(): Promise<{
    text: string;
    json: ProtoJsonCard;
    jwks: { keys: JWK[] };
  }> {
    const card = await request(app).get(AGENT_CARD_PATH).expect(200);
    const jwks = await request(app).get(JWKS_PATH).expect(200);
    return {
      text: card.text,
      json: JSON.parse(card.text) as ProtoJsonCard,
      jwks: jwks.body as { keys: JWK[] },
    };
  }

  describe('shape (A2A 1.0 ProtoJSON)', () => {
    it('declares both bindings at protocol version 1.0, JSON-RPC first', async () => {
      const { json } = await fetchCard();

      expect(json).toHaveProperty('supportedInterfaces', [
        { url: PUBLIC_URL + JSONRPC_PATH, protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
        { url: PUBLIC_URL + REST_PATH, protocolBinding: 'HTTP+JSON', protocolVersion: '1.0' },
      ]);
    });

    it('declares an OIDC and a client-credentials scheme per issuer', async () => {
      const { json } = await fetchCard();

      expect(json).toHaveProperty(
        ['securitySchemes', 'oidc', 'openIdConnectSecurityScheme', 'openIdConnectUrl'],
        ISSUERS[0]!.discoveryUrl,
      );
      expect(json).toHaveProperty(
        ['securitySchemes', 'oauth2', 'oauth2SecurityScheme', 'flows', 'clientCredentials'],
        {
          tokenUrl: ISSUERS[0]!.tokenEndpoint,
          scopes: {
            'support.profile.read': 'Read customer profiles',
            'support.orders.read': 'Read customer orders',
            'support.refunds.write': 'Issue refunds',
            'support.audit.read': 'Read the support audit trail',
          },
        },
      );
      expect(json).toHaveProperty(
        ['securitySchemes', 'oidc-2', 'openIdConnectSecurityScheme', 'openIdConnectUrl'],
        ISSUERS[1]!.discoveryUrl,
      );
      expect(json).not.toHaveProperty([
        'securitySchemes',
        'oauth2',
        'oauth2SecurityScheme',
        'oauth2MetadataUrl',
      ]);
    });

    it('requires any trusted token at the top and each skill scopes per scheme', async () => {
      const { json } = await fetchCard();

      expect(json.securityRequirements).toEqual([
        { schemes: { oidc: {} } },
        { schemes: { oauth2: {} } },
        { schemes: { 'oidc-2': {} } },
        { schemes: { 'oauth2-2': {} } },
      ]);
      const table = skillScopes(loadCardSource(FIXTURE));
      for (const skill of json.skills) {
        const scopes = table.get(skill.id);
        expect(skill.securityRequirements[0]?.schemes.oidc?.list).toEqual(scopes);
        expect(skill.securityRequirements.map((r) => Object.values(r.schemes)[0]?.list)).toEqual([
          scopes,
          scopes,
          scopes,
          scopes,
        ]);
      }
    });

    it('has no $case, no extended-only skill, and extendedAgentCard true', async () => {
      const { text, json } = await fetchCard();

      expect(text).not.toContain('$case');
      expect(json.skills.map((skill) => skill.id)).toEqual(['customer-profile', 'order-refund']);
      expect(json).toHaveProperty('capabilities', {
        streaming: true,
        pushNotifications: false,
        extendedAgentCard: true,
      });
    });
  });

  describe('caching (A2A §8.6, RFC 9110 §13.1.2)', () => {
    it('answers a repeated GET with a matching If-None-Match by 304 and no body', async () => {
      const first = await request(app).get(AGENT_CARD_PATH).expect(200);
      const etag = first.headers.etag as string;

      const second = await request(app).get(AGENT_CARD_PATH).set('If-None-Match', etag);

      expect(etag).toMatch(/^"[\w-]{43}"$/);
      expect(first.headers['cache-control']).toBe('public, max-age=300');
      expect(first.headers['content-type']).toBe('application/json');
      expect(second.status).toBe(304);
      expect(second.text).toBe('');
      expect(second.headers.etag).toBe(etag);
      expect(second.headers['cache-control']).toBe('public, max-age=300');
    });

    it('answers a different ETag with 200 and the card', async () => {
      const response = await request(app).get(AGENT_CARD_PATH).set('If-None-Match', '"stale"');

      expect(response.status).toBe(200);
      expect(response.body).toHaveProperty('name', 'Warden Support Agent');
    });

    it.each([
      ['*', true],
      ['W/<etag>', true],
      ['"a", <etag>', true],
      ['"a",W/<etag>', true],
      ['"a", "b"', false],
      ['<etag-without-quotes>', false],
      ['', false],
    ])('If-None-Match %j matches: %s', (template, expected) => {
      const etag = '"abc_-1"';
      const header = template.replace('<etag-without-quotes>', 'abc_-1').replace('<etag>', etag);

      expect(ifNoneMatchMatches(header, etag)).toBe(expected);
    });

    it('answers HEAD with the headers and no body, and 304 when it matches', async () => {
      const get = await request(app).get(AGENT_CARD_PATH);

      const head = await request(app).head(AGENT_CARD_PATH).expect(200);
      const conditional = await request(app)
        .head(AGENT_CARD_PATH)
        .set('If-None-Match', get.headers.etag as string);

      expect(head.headers.etag).toBe(get.headers.etag);
      expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.text)));
      expect(head.text).toBeUndefined();
      expect(conditional.status).toBe(304);
    });

    it('serves the JWKS with Cache-Control, an ETag and the JWK Set media type', async () => {
      const response = await request(app).get(JWKS_PATH).expect(200);

      expect(response.headers['cache-control']).toBe('public, max-age=300');
      expect(response.headers['content-type']).toBe('application/jwk-set+json');
      expect(response.headers.etag).toMatch(/^"[\w-]{43}"$/);
    });

    it('uses maxAgeSec and refuses a JWKS with private members', async () => {
      const card = AgentCard.fromJSON({ name: 'x' });
      const custom = express().use(agentCardRoutes({ card, jwks: { keys: [] }, maxAgeSec: 60 }));
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const jwk = await exportJWK(privateKey);

      const response = await request(custom).get(AGENT_CARD_PATH);
      const error = await caught(() => agentCardRoutes({ card, jwks: { keys: [jwk] } }));

      expect(response.headers['cache-control']).toBe('public, max-age=60');
      expectWardenError(error, 'ERR_SIGNING_KEY', 'private members d');
    });
  });

  describe('signature (A2A §8.4)', () => {
    it('verifies independently: RFC 8785 by canonicalize, jose, the key found by kid', async () => {
      const { json, jwks } = await fetchCard();

      const header = await verifyIndependently(json, jwks);

      expect(header).toEqual({ alg: 'ES256', kid: key.kid, typ: 'JOSE', jku: JWKS_URL });
      expect(json.signatures).toHaveLength(1);
      expect(json.signatures[0]).not.toHaveProperty('payload');
    });

    it('fails verification when one field is tampered with', async () => {
      const { json, jwks } = await fetchCard();
      const tampered = { ...json, description: `${json.description} Also wires money.` };

      const error = await caught(() => verifyIndependently(tampered, jwks));

      expect(error).toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    });

    it('serves a JWKS of public keys only', async () => {
      const { jwks } = await fetchCard();

      expect(jwks.keys).toHaveLength(1);
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
        expect(jwks.keys[0]).not.toHaveProperty(member);
      }
    });

    it.each(['ES256', 'EdDSA', 'RS256'] as const)('signs with a generated %s key', async (alg) => {
      const keyFile = path.join(tmp, `alg-${alg}`, 'card.jwk');
      const algKey = await loadSigningKey(
        { keyFile, generateIfMissing: true, algorithm: alg },
        silentLogger(),
      );
      const card = buildAgentCard(
        loadCardSource(FIXTURE),
        { publicUrl: PUBLIC_URL, issuers: ISSUERS },
        { extended: true },
      );

      const signed = await signAgentCard(card, algKey, JWKS_URL);

      const header = await verifyIndependently(AgentCard.toJSON(signed), {
        keys: [algKey.publicJwk],
      });
      expect(header.alg).toBe(alg);
    });

    it('signs exactly what canonicalize gives for the ProtoJSON without signatures', async () => {
      const { json } = await fetchCard();
      const payload = canonicalCardPayload(AgentCard.fromJSON(json));

      expect(payload).toBe(canonicalize(without(json, 'signatures')));
    });
  });

  describe('the SDK (@a2a-js/sdk 1.3.0)', () => {
    // a2a-js#663: canonicalizeAgentCard runs AgentCard.fromJSON on an AgentCard object, which
    // holds `{ scheme: { $case, value } }` where fromJSON looks for `openIdConnectSecurityScheme`,
    // so every scheme becomes `{}`. a2a-js#627: its cleanEmpty then deletes every `{}` and `[]`,
    // taking the empty-scope requirements `{ oidc: {} }` (the top-level "any trusted token") along.
    it('pins SDK fault: canonicalizeAgentCard drops securitySchemes, requirements', async () => {
      const { json, jwks } = await fetchCard();
      const card = AgentCard.fromJSON(json);
      vi.spyOn(console, 'debug').mockImplementation(() => undefined);
      const verify = verifyAgentCardSignature(async (kid, jku) => {
        expect(jku).toBe(JWKS_URL);
        const jwk = jwks.keys.find((candidate) => candidate.kid === kid);
        if (!jwk) throw new Error(`unknown kid ${kid}`);
        return jwk;
      });

      const fromObject = canonicalizeAgentCard(card);
      const fromJson = canonicalizeAgentCard(json as unknown as AgentCard);

      const unsigned = without(json, 'signatures');
      expect(fromObject).toBe(
        canonicalize(without(unsigned, 'securitySchemes', 'securityRequirements')),
      );
      expect(fromJson).toBe(canonicalize(without(unsigned, 'securityRequirements')));
      await expect(verify(card)).rejects.toThrow('No valid signatures found on agent card.');
      await expect(verify(json as unknown as AgentCard)).rejects.toThrow('No valid signatures');
      await expect(verifyIndependently(json, jwks)).resolves.toBeDefined();
    });

    // The consequence of the fault above, for a card the SDK signs itself: a peer that checks it
    // with the SDK accepts an attacker's discovery and token URLs, and sends its credentials there.
    it('pins SDK fault: SDK-signed card verifies with its issuer URLs swapped', async () => {
      const card = buildAgentCard(
        loadCardSource(FIXTURE),
        { publicUrl: PUBLIC_URL, issuers: ISSUERS },
        { extended: false },
      );
      const header = { alg: key.alg, kid: key.kid, typ: 'JOSE' };
      const signed = await generateAgentCardSignature(key.privateKey, header)(card);
      const text = JSON.stringify(AgentCard.toJSON(signed))
        .replaceAll(ISSUERS[0]!.discoveryUrl, 'https://evil.example/oidc')
        .replaceAll(ISSUERS[0]!.tokenEndpoint, 'https://evil.example/token');
      const attacked = AgentCard.fromJSON(JSON.parse(text) as unknown);

      const verified = verifyAgentCardSignature(async () => key.publicJwk)(attacked);

      await expect(verified).resolves.toBeUndefined();
      expect(AgentCard.toJSON(attacked)).toHaveProperty(
        [
          'securitySchemes',
          'oauth2',
          'oauth2SecurityScheme',
          'flows',
          'clientCredentials',
          'tokenUrl',
        ],
        'https://evil.example/token',
      );
    });

    it('pins SDK fault: agentCardHandler sends $case, not ProtoJSON', async () => {
      const card = buildAgentCard(
        loadCardSource(FIXTURE),
        { publicUrl: PUBLIC_URL, issuers: ISSUERS },
        { extended: false },
      );
      const sdkApp = express().use(
        AGENT_CARD_PATH,
        agentCardHandler({ agentCardProvider: async () => card }),
      );

      const response = await request(sdkApp).get(AGENT_CARD_PATH).expect(200);

      expect(response.text).toContain('"$case":"openIdConnectSecurityScheme"');
      expect(response.body).not.toHaveProperty([
        'securitySchemes',
        'oidc',
        'openIdConnectSecurityScheme',
      ]);
    });
  });
});
