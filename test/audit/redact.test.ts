import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRedactor, MASKED, SECRET } from '../../src/audit/redact.js';

const redactor = createRedactor({
  fields: ['email', 'card.number'],
  maxValueBytes: 32,
  maxParametersBytes: 512,
});

describe('audit redaction', () => {
  it('masks configured fields: plain names at any depth, dotted paths only there', () => {
    const input = {
      email: 'a@example.com',
      customer: { email: 'b@example.com', number: '42' },
      card: { number: '4111111111111111', expiry: '12/30' },
    };

    expect(redactor.redact(input)).toEqual({
      email: MASKED,
      customer: { email: MASKED, number: '42' },
      card: { number: MASKED, expiry: '12/30' },
    });
  });

  it.each([
    ['password', { password: 'hunter2' }],
    ['access_token', { access_token: 'abc' }],
    ['accessToken', { accessToken: 'abc' }],
    ['client_secret', { client_secret: 'abc' }],
    ['apiKey', { apiKey: 'abc' }],
    ['Authorization', { Authorization: 'abc' }],
    ['githubToken', { githubToken: 'abc' }],
  ])('never writes a secret named %s', (_name, input) => {
    expect(Object.values(redactor.redact(input) as object)).toEqual([SECRET]);
  });

  it('never writes a value that looks like a JWT, a Bearer credential or a PEM private key', () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln';
    const input = {
      note: `forwarded ${jwt}`,
      header: 'Bearer abcdefghijklmnop',
      pem: '-----BEGIN PRIVATE KEY-----\nMIIE',
      list: [jwt],
    };

    expect(redactor.redact(input)).toEqual({
      note: SECRET,
      header: SECRET,
      pem: SECRET,
      list: [SECRET],
    });
    expect(JSON.stringify(redactor.redact(input))).not.toContain('eyJ');
  });

  it('truncates a long value and records the hash of the whole of it', () => {
    const long = 'x'.repeat(100);

    expect(redactor.redact({ reason: long })).toEqual({
      reason: {
        truncated: 'x'.repeat(32),
        bytes: 100,
        sha256: createHash('sha256').update(long).digest('hex'),
      },
    });
  });

  it('cuts and hashes parameters whose JSON exceeds maxParametersBytes as a whole', () => {
    const many = Array.from({ length: 100 }, (_, i) => `item-${i}`);
    const redacted = redactor.redact({ many }) as { truncated: string; bytes: number };

    expect(Buffer.byteLength(redacted.truncated)).toBeLessThanOrEqual(512);
    expect(redacted.bytes).toBe(JSON.stringify({ many }).length);
  });

  it('turns values JSON cannot carry into JSON, and survives cycles', () => {
    const cyclic: Record<string, unknown> = { n: Number.NaN, big: 10n, when: new Date(0) };
    cyclic['self'] = cyclic;

    expect(redactor.redact(cyclic)).toEqual({
      n: null,
      big: '10',
      when: '1970-01-01T00:00:00.000Z',
      self: '[circular]',
    });
  });
});
