import { Writable } from 'node:stream';

import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';

import {
  ACCESS_TOKEN_TYPE,
  DEV_USER_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT_TYPE,
  startDevIdp,
  type DevIdp,
  type DevIdpOptions,
} from '../src/devidp/index.js';

const AGENT_B = 'http://127.0.0.1:7001/a2a';
const AGENT_C = 'http://127.0.0.1:7002/a2a';

const RESOURCES: DevIdpOptions['resources'] = {
  [AGENT_B]: { scopes: ['tasks:read', 'tasks:write'] },
  [AGENT_C]: { scopes: ['reports:read'] },
};

/** A winston logger whose entries the test can read back. */
function createMemoryLogger() {
  const entries: Record<string, unknown>[] = [];
  const stream = new Writable({
    objectMode: true,
    write(entry: Record<string, unknown>, _encoding, done) {
      entries.push(entry);
      done();
    },
  });

  const logger = winston.createLogger({
    level: 'debug',
    transports: [new winston.transports.Stream({ stream })],
  });
  return { logger, entries };
}

async function discover(idp: DevIdp, clientId: string, clientSecret = `${clientId}-secret`) {
  return client.discovery(new URL(idp.issuer), clientId, clientSecret, undefined, {
    execute: [client.allowInsecureRequests],
  });
}

function exchange(config: client.Configuration, subjectToken: string, subjectTokenType: string) {
  return client.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT_TYPE, {
    subject_token: subjectToken,
    subject_token_type: subjectTokenType,
    resource: AGENT_C,
    scope: 'reports:read',
  });
}

/** The OAuth `error` and `error_description` of a rejected token request. */
async function rejectionOf(request: Promise<unknown>) {
  const error: unknown = await request.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(client.ResponseBodyError);

  const { cause } = error as client.ResponseBodyError;
  return { error: cause['error'], description: cause['error_description'] };
}

describe('development IdP', () => {
  const { logger, entries } = createMemoryLogger();
  let idp: DevIdp;
  let agentA: client.Configuration;
  let agentB: client.Configuration;

  beforeAll(async () => {
    idp = await startDevIdp({ port: 0, resources: RESOURCES, defaultResource: AGENT_B, logger });
    agentA = await discover(idp, 'peer-agent-a');
    agentB = await discover(idp, 'peer-agent-b');
  });

  afterAll(async () => {
    await idp.close();
  });

  it('warns at start that it is a development IdP', () => {
    const warning = entries.find((entry) => entry['code'] === 'WARDEN_DEV_IDP');

    expect(warning).toMatchObject({ level: 'warn', issuer: idp.issuer });
    expect(warning?.['message']).toMatch(/MUST NOT be used in production/);
  });

  it('serves discovery with token and introspection endpoints', () => {
    const metadata = agentA.serverMetadata();

    expect(metadata.issuer).toBe(idp.issuer);
    expect(metadata.token_endpoint).toBe(`${idp.issuer}/token`);
    expect(metadata.introspection_endpoint).toBe(`${idp.issuer}/token/introspection`);
    expect(metadata.jwks_uri).toBe(`${idp.issuer}/jwks`);
  });

  it('issues an RFC 9068 JWT access token for client credentials', async () => {
    const response = await client.clientCredentialsGrant(agentA, {
      resource: AGENT_B,
      scope: 'tasks:read',
    });

    const jwks = createRemoteJWKSet(new URL(agentA.serverMetadata().jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(response.access_token, jwks, {
      issuer: idp.issuer,
      audience: AGENT_B,
      typ: 'at+jwt',
    });

    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    expect(payload).toMatchObject({
      sub: 'peer-agent-a',
      client_id: 'peer-agent-a',
      scope: 'tasks:read',
      jti: expect.any(String),
      iat: expect.any(Number),
      exp: (payload.iat ?? 0) + 300,
    });
    expect(response.expires_in).toBe(300);
  });

  it('uses the default resource when the request names none', async () => {
    const response = await client.clientCredentialsGrant(agentA, { scope: 'tasks:write' });

    expect(decodeJwt(response.access_token)).toMatchObject({ aud: AGENT_B, scope: 'tasks:write' });
  });

  it('omits the scope claim when a client credentials request names no scope', async () => {
    // oidc-provider grants no scope by default (RFC 6749 §3.3), rather than every allowed one.
    const response = await client.clientCredentialsGrant(agentA, { resource: AGENT_B });

    expect(decodeJwt(response.access_token)).not.toHaveProperty('scope');
  });

  it('rejects a resource it does not know with invalid_target (RFC 8707 §2)', async () => {
    const request = client.clientCredentialsGrant(agentA, {
      resource: 'http://127.0.0.1:9/unknown',
      scope: 'tasks:read',
    });

    expect(await rejectionOf(request)).toEqual({
      error: 'invalid_target',
      description: 'resource indicator is unknown',
    });
  });

  it('rejects a wrong client secret with invalid_client', async () => {
    const impostor = await discover(idp, 'peer-agent-a', 'not-the-secret');

    const request = client.clientCredentialsGrant(impostor, { scope: 'tasks:read' });

    expect(await rejectionOf(request)).toEqual({
      error: 'invalid_client',
      description: 'client authentication failed',
    });
  });

  describe('token exchange (RFC 8693)', () => {
    let aliceViaA: string;

    beforeAll(async () => {
      const response = await client.genericGrantRequest(agentA, TOKEN_EXCHANGE_GRANT_TYPE, {
        subject_token: 'alice',
        subject_token_type: DEV_USER_TOKEN_TYPE,
        resource: AGENT_B,
        scope: 'tasks:read tasks:write',
      });
      aliceViaA = response.access_token;

      expect(response).toMatchObject({
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'bearer',
        expires_in: 300,
        scope: 'tasks:read tasks:write',
      });
    });

    it('issues a token for a demo user with the calling client as actor', () => {
      expect(decodeProtectedHeader(aliceViaA).typ).toBe('at+jwt');
      expect(decodeJwt(aliceViaA)).toMatchObject({
        iss: idp.issuer,
        aud: AGENT_B,
        sub: 'alice',
        client_id: 'peer-agent-a',
        scope: 'tasks:read tasks:write',
        act: { sub: 'peer-agent-a' },
        jti: expect.any(String),
      });
    });

    it('nests the earlier actor when a token it issued is exchanged again (§4.1)', async () => {
      const response = await exchange(agentB, aliceViaA, ACCESS_TOKEN_TYPE);

      const jwks = createRemoteJWKSet(new URL(agentB.serverMetadata().jwks_uri!));
      const { payload } = await jwtVerify(response.access_token, jwks, {
        issuer: idp.issuer,
        audience: AGENT_C,
        typ: 'at+jwt',
      });
      expect(payload).toMatchObject({
        sub: 'alice',
        client_id: 'peer-agent-b',
        scope: 'reports:read',
        act: { sub: 'peer-agent-b', act: { sub: 'peer-agent-a' } },
      });
    });

    it('drops requested scopes the resource does not accept', async () => {
      const response = await client.genericGrantRequest(agentB, TOKEN_EXCHANGE_GRANT_TYPE, {
        subject_token: 'bob',
        subject_token_type: DEV_USER_TOKEN_TYPE,
        scope: 'tasks:read reports:read',
      });

      expect(response.scope).toBe('tasks:read');
      expect(decodeJwt(response.access_token)).toMatchObject({ aud: AGENT_B, sub: 'bob' });
    });

    it('rejects an unknown demo user with invalid_grant', async () => {
      expect(await rejectionOf(exchange(agentA, 'mallory', DEV_USER_TOKEN_TYPE))).toEqual({
        error: 'invalid_grant',
        description: '"subject_token" is not a known user',
      });
    });

    it('rejects a subject token it did not sign with invalid_grant', async () => {
      const [header, payload] = aliceViaA.split('.');
      const forged = `${header}.${payload}.${'A'.repeat(86)}`;

      expect(await rejectionOf(exchange(agentB, forged, ACCESS_TOKEN_TYPE))).toEqual({
        error: 'invalid_grant',
        description: '"subject_token" is invalid',
      });
    });

    it.each([
      [
        'an unknown resource',
        'invalid_target',
        'resource indicator is unknown',
        { resource: 'http://127.0.0.1:9/unknown' },
      ],
      [
        'a scope no resource grants',
        'invalid_scope',
        'no requested scope is allowed for this client and resource',
        { scope: 'admin' },
      ],
      [
        'a missing subject_token',
        'invalid_request',
        '"subject_token" is missing',
        { subject_token: '' },
      ],
      [
        'an unsupported subject_token_type',
        'invalid_request',
        '"subject_token_type" is not supported',
        { subject_token_type: 'urn:x' },
      ],
      [
        'an actor_token',
        'invalid_request',
        '"actor_token" is not supported: the client is the actor',
        { actor_token: 'x', actor_token_type: ACCESS_TOKEN_TYPE },
      ],
      [
        'an audience',
        'invalid_target',
        '"audience" is not supported: use "resource"',
        { audience: 'agent-c' },
      ],
    ])('rejects %s with %s', async (_case, error, description, override) => {
      const request = client.genericGrantRequest(agentA, TOKEN_EXCHANGE_GRANT_TYPE, {
        subject_token: 'alice',
        subject_token_type: DEV_USER_TOKEN_TYPE,
        ...override,
      });

      expect(await rejectionOf(request)).toEqual({ error, description });
    });
  });
});

describe.each(['RS256', 'EdDSA'] as const)('development IdP signing with %s', (signingAlg) => {
  let idp: DevIdp;

  beforeAll(async () => {
    const { logger } = createMemoryLogger();
    idp = await startDevIdp({ port: 0, resources: RESOURCES, signingAlg, logger });
  });

  afterAll(async () => {
    await idp.close();
  });

  it('signs access tokens with that alg under a published kid', async () => {
    const operator = await discover(idp, 'operator');
    const response = await client.clientCredentialsGrant(operator, {
      resource: AGENT_C,
      scope: 'reports:read',
    });

    const jwks = createRemoteJWKSet(new URL(operator.serverMetadata().jwks_uri!));
    const { protectedHeader } = await jwtVerify(response.access_token, jwks, { audience: AGENT_C });
    expect(protectedHeader).toMatchObject({ alg: signingAlg, typ: 'at+jwt' });
  });

  it('requires a resource when none is configured as default', async () => {
    const operator = await discover(idp, 'operator');

    const request = client.clientCredentialsGrant(operator, { scope: 'tasks:read' });

    expect(await rejectionOf(request)).toEqual({
      error: 'invalid_target',
      description: '"resource" is required: this IdP has no default resource',
    });
  });
});
