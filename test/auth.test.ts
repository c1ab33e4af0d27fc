import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { DevIdp } from '../src/devidp/index.js';
import {
  ALL_SCOPES,
  clientToken,
  freePort,
  startIdp,
  startWarden,
  type TestWarden,
} from './support/harness.js';

let idp: DevIdp;
let strangerIdp: DevIdp;
let warden: TestWarden;
let url: string;
let clockSkewSec = 0;

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  idp = await startIdp([url, 'https://other-resource.example']);
  strangerIdp = await startIdp([url]);
  warden = await startWarden({ idp, port, now: () => new Date(Date.now() + clockSkewSec * 1000) });
});

afterAll(async () => {
  await warden?.close();
  await idp?.close();
  await strangerIdp?.close();
});

const rpc = (method = 'ListTasks', params: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id: 7,
  method,
  params,
});

function send(token: string | undefined, body: object = rpc()) {
  const call = request(url).post('/a2a/jsonrpc').set('A2A-Version', '1.0').send(body);
  return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
}

function skillCall(skill: string, args: Record<string, unknown>) {
  const message = {
    messageId: crypto.randomUUID(),
    role: 'ROLE_USER',
    parts: [{ data: { skill, ...args }, mediaType: 'application/json' }],
  };
  return rpc('SendMessage', { message });
}

describe('authentication (RFC 6750)', () => {
  it('rejects a request without a token: 401, a bare Bearer challenge and a JSON-RPC error', async () => {
    const res = await send(undefined);

    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.headers['www-authenticate']).not.toMatch(/error="/);
    expect(res.body).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -31401, message: 'an access token is required' },
    });
  });

  it('rejects an expired token with invalid_token', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
    clockSkewSec = 3600;
    try {
      const res = await send(token);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(
        'Bearer error="invalid_token", error_description="access token expired", ' +
          `resource_metadata="${url}/.well-known/oauth-protected-resource"`,
      );
      expect(res.body.error.message).toBe('access token expired');
    } finally {
      clockSkewSec = 0;
    }
  });

  it('rejects a token whose aud is another resource', async () => {
    const token = await clientToken(
      idp,
      'peer-agent-a',
      ALL_SCOPES,
      'https://other-resource.example',
    );
    const res = await send(token);

    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(res.body.error.message).toBe('access token is for another audience');
  });

  it('rejects a token from an issuer it does not trust', async () => {
    const token = await clientToken(strangerIdp, 'peer-agent-a', ALL_SCOPES, url);
    const res = await send(token);

    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('access token issuer is not trusted');
  });

  it('rejects a token whose signature was tampered with', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
    const [header, payload, signature] = token.split('.');
    const forged = `${header}.${payload}.${signature?.slice(0, -4)}AAAA`;
    const res = await send(forged);

    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('access token signature is invalid');
  });

  it('rejects a token that is not a JWT', async () => {
    const res = await send('not-a-jwt');

    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('access token is not a JWT');
  });

  it('answers 400 invalid_request for an Authorization header over 8 KB', async () => {
    const res = await send('a'.repeat(9000));

    expect(res.status).toBe(400);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
  });

  it('answers the REST binding with a google.rpc.Status body', async () => {
    const res = await request(url).get('/a2a/rest/tasks').set('A2A-Version', '1.0');

    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
  });

  // The SDK would serve a static extended card to anyone; Warden authenticates before the SDK.
  it('refuses the extended card to an unauthenticated caller on both bindings', async () => {
    const rpcRes = await send(undefined, rpc('GetExtendedAgentCard'));
    const restRes = await request(url).get('/a2a/rest/extendedAgentCard').set('A2A-Version', '1.0');

    expect(rpcRes.status).toBe(401);
    expect(rpcRes.body.result).toBeUndefined();
    expect(restRes.status).toBe(401);
  });

  it('serves the extended card to an authenticated caller', async () => {
    const token = await clientToken(idp, 'peer-agent-a', [], url);
    const res = await send(token, rpc('GetExtendedAgentCard'));

    expect(res.status).toBe(200);
    expect(res.body.result.name).toBe('Warden Support Agent');
  });

  it('keeps the card, the JWKS and the health endpoints public', async () => {
    for (const path of [
      '/.well-known/agent-card.json',
      '/.well-known/jwks.json',
      '/healthz',
      '/readyz',
    ]) {
      expect((await request(url).get(path)).status).toBe(200);
    }
  });
});

describe('scopes', () => {
  it('answers 403 insufficient_scope naming every scope the skill needs', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ['support.orders.read'], url);
    const res = await send(token, skillCall('refunds', { orderId: 'o-1001', amount: 5 }));

    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(res.headers['www-authenticate']).toContain(
      'scope="support.refunds.write support.orders.read"',
    );
    expect(res.body.error).toMatchObject({ code: -31403 });
  });

  it("lets a token with the skill's scopes invoke it", async () => {
    const token = await clientToken(
      idp,
      'peer-agent-a',
      ['support.refunds.write', 'support.orders.read'],
      url,
    );
    const res = await send(token, skillCall('refunds', { orderId: 'o-1001', amount: 5 }));

    expect(res.status).toBe(200);
    expect(res.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
  });

  it('answers -32602 naming the field for invalid skill arguments, creating no task', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
    const res = await send(token, skillCall('refunds', { orderId: 'o-1001', amount: 'twenty' }));

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(-32602);
    expect(res.body.error.message).toContain('"amount"');
  });

  it('answers -32602 for a skill the agent does not offer', async () => {
    const token = await clientToken(idp, 'peer-agent-a', ALL_SCOPES, url);
    const res = await send(token, skillCall('wire-transfer', {}));

    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('unknown skill "wire-transfer"');
  });
});
