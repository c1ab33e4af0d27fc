import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevIdp } from '../../src/devidp/index.js';
import { limitsSchema } from '../../src/limits/config.js';
import { ipKey } from '../../src/limits/keys.js';
import { buildRuleTable } from '../../src/limits/rule-table.js';
import {
  ALL_SCOPES,
  clientToken,
  freePort,
  startIdp,
  startWarden,
  userToken,
  type TestWarden,
} from '../support/harness.js';
import { auditEntries, post, recordingLogger, sendSkill, type Answer } from './support.js';

/**
 * Request rate limits with the in-memory store, over HTTP: keyed by the verified identity and the
 * skill, answered with 429, the IETF draft-8 `RateLimit` headers, `Retry-After` and the binding's
 * error body, audited once per key and window; unauthenticated traffic limited by address.
 */

const MINUTE = 60_000;
const ORDERS = { customerId: 'alice' };

let idp: DevIdp;
let port: number;
let running: TestWarden | undefined;
let lines: Record<string, unknown>[];

beforeAll(async () => {
  port = await freePort();
  idp = await startIdp([`http://127.0.0.1:${port}`]);
});
afterAll(() => idp?.close());
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function wardenWith(
  limits: Record<string, unknown>,
  server: Record<string, unknown> = {},
): Promise<string> {
  const recording = recordingLogger();
  lines = recording.lines;
  const overrides = { limits, server: { port, ...server } };
  running = await startWarden({ idp, port, overrides, logger: recording.logger });
  return running.url;
}

function tokenOf(client: string): Promise<string> {
  return clientToken(idp, client, ALL_SCOPES, `http://127.0.0.1:${port}`);
}

async function repeat(times: number, send: () => Promise<Answer>): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < times; i++) answers.push(await send());
  return answers;
}

function rateLimitAudits() {
  return auditEntries(running?.dataDir ?? '').filter((e) => e.event === 'rate_limit.exceeded');
}

describe('authenticated request limits', () => {
  it('refuses a call over a skill limit: 429, draft-8 headers, Retry-After, JSON-RPC', async () => {
    const url = await wardenWith({ skills: { 'order-history': { limit: 3, windowMs: MINUTE } } });
    const token = await tokenOf('peer-agent-a');

    const admitted = await repeat(3, () => sendSkill(url, token, 'order-history', ORDERS));
    const refused = await sendSkill(url, token, 'order-history', ORDERS, { id: 7 });

    expect(admitted.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(admitted.map((a) => a.headers.get('ratelimit'))).toEqual([
      expect.stringMatching(/^"skill:order-history"; r=2; t=(59|60)$/),
      expect.stringMatching(/^"skill:order-history"; r=1; t=(59|60)$/),
      expect.stringMatching(/^"skill:order-history"; r=0; t=(59|60)$/),
    ]);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit')).toMatch(/^"skill:order-history"; r=0; t=(59|60)$/);
    expect(refused.headers.get('ratelimit-policy')).toMatch(
      /^"skill:order-history"; q=3; w=60; pk=:[A-Za-z0-9+/=]+:$/,
    );
    // The clock may cross a second between the window's start and the refusal.
    const retryAfter = refused.headers.get('retry-after') ?? '';
    expect(['59', '60']).toContain(retryAfter);
    expect(refused.body).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: {
        code: -31429,
        message: `rate limit exceeded: at most 3 requests per 60 s for skill "order-history"; retry after ${retryAfter} s`,
        data: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'RATE_LIMIT_EXCEEDED',
            domain: 'warden',
            metadata: { limit: 'skill:order-history', retryAfterSec: retryAfter },
          },
        ],
      },
    });
  });

  it('audits the first refusal of a key in a window, not each one', async () => {
    const url = await wardenWith({ skills: { 'order-history': { limit: 1, windowMs: MINUTE } } });
    const token = await tokenOf('peer-agent-a');

    const answers = await repeat(5, () => sendSkill(url, token, 'order-history', ORDERS));

    expect(answers.map((a) => a.status)).toEqual([200, 429, 429, 429, 429]);
    expect(rateLimitAudits()).toEqual([
      expect.objectContaining({
        event: 'rate_limit.exceeded',
        agent: 'peer-agent-a',
        skill: 'order-history',
        outcome: 'ERR_RATE_LIMITED',
        detail: {
          limit: 'skill:order-history',
          max: 1,
          windowMs: MINUTE,
          retryAfterSec: expect.any(Number),
        },
      }),
    ]);
  });

  it('counts each calling agent apart, though all call from the same address', async () => {
    const url = await wardenWith({ skills: { '*': { limit: 1, windowMs: MINUTE } } });
    const [a, b] = await Promise.all([tokenOf('peer-agent-a'), tokenOf('peer-agent-b')]);

    const first = await sendSkill(url, a, 'order-history', ORDERS);
    const again = await sendSkill(url, a, 'order-history', ORDERS);
    const other = await sendSkill(url, b, 'order-history', ORDERS);
    const otherSkill = await sendSkill(url, a, 'customer-profile', ORDERS);

    expect([first.status, again.status, other.status, otherSkill.status]).toEqual([
      200, 429, 200, 200,
    ]);
    expect(otherSkill.headers.get('ratelimit')).toMatch(/^"skill:\*"; r=0; t=/);
  });

  it('counts each user apart when the rule is keyed by user', async () => {
    const key = ['issuer', 'agent', 'user', 'skill'];
    const url = await wardenWith({
      skills: { 'customer-profile': { limit: 1, windowMs: MINUTE, key } },
    });
    const resource = `http://127.0.0.1:${port}`;
    const [alice, bob] = await Promise.all(
      ['alice', 'bob'].map((user) => userToken(idp, 'peer-agent-a', user, ALL_SCOPES, resource)),
    );

    const statuses = [
      (await sendSkill(url, alice as string, 'customer-profile', { customerId: 'alice' })).status,
      (await sendSkill(url, alice as string, 'customer-profile', { customerId: 'alice' })).status,
      (await sendSkill(url, bob as string, 'customer-profile', { customerId: 'bob' })).status,
    ];

    expect(statuses).toEqual([200, 429, 200]);
  });

  it("applies a named agent's own limit instead of the general one", async () => {
    const url = await wardenWith({
      skills: { 'order-history': { limit: 5, windowMs: MINUTE } },
      agents: { 'peer-agent-b': { skills: { 'order-history': { limit: 1, windowMs: MINUTE } } } },
    });
    const token = await tokenOf('peer-agent-b');

    await sendSkill(url, token, 'order-history', ORDERS);
    const refused = await sendSkill(url, token, 'order-history', ORDERS);

    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit')).toMatch(
      /^"agent:peer-agent-b:skill:order-history"; r=0;/,
    );
  });

  it('limits every operation under `requests`, reporting both policies on a skill', async () => {
    const url = await wardenWith({
      requests: { limit: 3, windowMs: MINUTE },
      skills: { 'order-history': { limit: 10, windowMs: MINUTE } },
    });
    const token = await tokenOf('peer-agent-a');
    const listTasks = () =>
      post(`${url}/a2a/jsonrpc`, token, { jsonrpc: '2.0', id: 1, method: 'ListTasks', params: {} });

    const skillCall = await sendSkill(url, token, 'order-history', ORDERS);
    const lists = await repeat(3, listTasks);

    expect(skillCall.headers.get('ratelimit')).toMatch(
      /^"requests"; r=2; t=\d+, "skill:order-history"; r=9; t=\d+$/,
    );
    expect(lists.map((a) => a.status)).toEqual([200, 200, 429]);
  });

  it('answers the REST binding with a google.rpc.Status body', async () => {
    const url = await wardenWith({ skills: { 'order-history': { limit: 1, windowMs: MINUTE } } });
    const token = await tokenOf('peer-agent-a');
    const send = () =>
      post(`${url}/a2a/rest/message:send`, token, {
        message: {
          messageId: 'm',
          role: 'ROLE_USER',
          parts: [{ data: { skill: 'order-history', ...ORDERS } }],
        },
      });

    await send();
    const refused = await send();

    expect(refused.status).toBe(429);
    expect(refused.body['error']).toMatchObject({
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      details: [{ reason: 'RATE_LIMIT_EXCEEDED', metadata: { limit: 'skill:order-history' } }],
    });
  });
});

describe('unauthenticated traffic, limited by address', () => {
  it('refuses an address after too many failed tokens, before verifying the next one', async () => {
    const url = await wardenWith({ unauthenticated: { limit: 3, windowMs: MINUTE } });
    const valid = await tokenOf('peer-agent-a');

    const failures = await repeat(3, () => sendSkill(url, 'not-a-token', 'order-history', ORDERS));
    const blocked = await sendSkill(url, valid, 'order-history', ORDERS);

    expect(failures.map((a) => a.status)).toEqual([401, 401, 401]);
    expect(failures[2]?.headers.get('ratelimit')).toMatch(/^"unauthenticated"; r=0; t=\d+$/);
    expect(blocked.status).toBe(429);
    expect(blocked.body['error']).toMatchObject({ code: -31429 });
    expect(blocked.headers.get('retry-after')).toMatch(/^(59|60)$/);
    const audit = auditEntries(running?.dataDir ?? '');
    expect(audit.filter((e) => e.event === 'token.rejected')).toHaveLength(3);
    expect(rateLimitAudits()).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ limit: 'unauthenticated' }) }),
    ]);
  });

  it('does not count requests whose token verified', async () => {
    const url = await wardenWith({ unauthenticated: { limit: 2, windowMs: MINUTE } });
    const token = await tokenOf('peer-agent-a');

    const calls = await repeat(6, () => sendSkill(url, token, 'order-history', ORDERS));
    const failures = await repeat(3, () => sendSkill(url, 'bad', 'order-history', ORDERS));

    expect(calls.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(calls.map((a) => a.headers.get('ratelimit'))).toEqual(Array(6).fill(null));
    expect(failures.map((a) => a.status)).toEqual([401, 401, 429]);
  });

  it('limits the public card and metadata routes by address', async () => {
    const url = await wardenWith({ unauthenticated: { limit: 2, windowMs: MINUTE } });
    const get = () => fetch(`${url}/.well-known/agent-card.json`);

    const answers = [await get(), await get(), await get()];

    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(await answers[2]?.json()).toMatchObject({
      error: { code: 429, status: 'RESOURCE_EXHAUSTED' },
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('tells clients behind a trusted proxy apart by X-Forwarded-For', async () => {
    const url = await wardenWith(
      { unauthenticated: { limit: 1, windowMs: MINUTE } },
      { trustProxy: 1 },
    );
    const from = (address: string) =>
      fetch(`${url}/.well-known/agent-card.json`, { headers: { 'x-forwarded-for': address } });

    const statuses = [
      (await from('198.51.100.1')).status,
      (await from('198.51.100.1')).status,
      (await from('198.51.100.2')).status,
    ];

    expect(statuses).toEqual([200, 429, 200]);
  });

  it('ignores X-Forwarded-For from an untrusted peer, and warns once', async () => {
    const url = await wardenWith({ unauthenticated: { limit: 1, windowMs: MINUTE } });
    const from = (address: string) =>
      fetch(`${url}/.well-known/agent-card.json`, { headers: { 'x-forwarded-for': address } });

    const statuses = [(await from('198.51.100.1')).status, (await from('198.51.100.2')).status];

    expect(statuses).toEqual([200, 429]);
    expect(lines.filter((line) => line['code'] === 'WARDEN_TRUST_PROXY_UNSET')).toHaveLength(1);
  });

  it.each([
    ['an IPv4 address as itself', '192.0.2.7', '192.0.2.8', false],
    ['two addresses of one IPv6 /56 as one', '2001:db8:0:1::1', '2001:db8:0:2::9', true],
    ['addresses of two IPv6 /56 apart', '2001:db8:0:100::1', '2001:db8:0:200::1', false],
  ])('keys %s', (_name, first, second, same) => {
    expect(ipKey(first, 56) === ipKey(second, 56)).toBe(same);
  });
});

describe('which rules apply', () => {
  const table = buildRuleTable(
    limitsSchema.parse({
      requests: { limit: 100, windowMs: MINUTE },
      skills: { refunds: { limit: 2, windowMs: MINUTE }, '*': { limit: 50, windowMs: MINUTE } },
      agents: {
        batch: { skills: { '*': { limit: 500, windowMs: MINUTE } } },
        pinned: { issuer: 'https://idp.example', requests: { limit: 1000, windowMs: MINUTE } },
      },
    }),
  );
  const names = (issuer: string, agent: string, skill?: string) =>
    table.select(issuer, agent, skill).map((rule) => rule.name);

  it.each([
    ['a plain call', 'a', undefined, ['requests']],
    ['a skill without its own rule', 'a', 'orders', ['requests', 'skill:*']],
    ['a skill with its own rule', 'a', 'refunds', ['requests', 'skill:refunds']],
    ["a named agent's catch-all", 'batch', 'orders', ['requests', 'agent:batch:skill:*']],
    ['a per-skill rule over an agent catch-all', 'batch', 'refunds', ['requests', 'skill:refunds']],
  ])('selects, for %s, %j', (_name, agent, skill, expected) => {
    expect(names('https://other.example', agent, skill)).toEqual(expected);
  });

  it('applies an override pinned to an issuer only to tokens of that issuer', () => {
    expect(names('https://idp.example', 'pinned')).toEqual(['agent:pinned:requests']);
    expect(names('https://other.example', 'pinned')).toEqual(['requests']);
  });
});
