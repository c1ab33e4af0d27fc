import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { REPO } from './support/harness.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VALID = `
agentCard: card.yaml
agent: { module: agent.js }
cardSigning: { keyFile: key.json }
`;

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('configuration', () => {
  it('applies defaults and resolves paths against the file', () => {
    const config = loadConfig(write('ok.yaml', VALID), {});

    expect(config.server).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:8080',
      bodyLimitBytes: 1_048_576,
    });
    expect(config.agentCard).toBe(path.join(dir, 'card.yaml'));
    expect(config.store.path).toBe(path.join(dir, 'data/warden.db'));
  });

  it('defaults each issuer audience to server.publicUrl', () => {
    const file = write(
      'aud.yaml',
      `${VALID}\nserver: { publicUrl: "https://agent.example/" }\nauth: { issuers: [{ issuer: "https://idp.example" }] }\n`,
    );
    expect(loadConfig(file, {}).auth.issuers[0]?.audience).toBe('https://agent.example');
  });

  it.each([
    ['a wrong type', 'server: { port: "eighty" }', 'server.port'],
    ['an unknown key', 'server: { prot: 80 }', 'server'],
    [
      'an algorithm that is not allowed',
      'auth: { issuers: [{ issuer: "https://idp.example", algorithms: [HS256] }] }',
      'auth.issuers.0.algorithms.0',
    ],
    ['a missing agentCard', '', 'agentCard'],
  ])('names the key and the file for %s', (_name, extra, key) => {
    const text =
      extra === ''
        ? 'agent: { module: a.js }\ncardSigning: { keyFile: k.json }\n'
        : `${VALID}\n${extra}\n`;
    const file = write(`bad-${key}.yaml`, text);

    expect(() => loadConfig(file, {})).toThrowError(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
    expect(() => loadConfig(file, {})).toThrowError(
      new RegExp(`${file}[\\s\\S]*${key.replaceAll('.', '\\.')}:`),
    );
  });

  it('reads secrets and URLs from the environment, and names an unset variable', () => {
    const file = write(
      'env.yaml',
      `${VALID}\nserver: { port: "\${PORT}", publicUrl: "\${URL:-https://fallback.example}" }\n`,
    );

    expect(loadConfig(file, { PORT: '9090' }).server).toMatchObject({
      port: 9090,
      publicUrl: 'https://fallback.example',
    });
    expect(() => loadConfig(file, {})).toThrowError(
      /server\.port: environment variable PORT is not set/,
    );
  });

  it('reports invalid YAML with the file', () => {
    const file = write('broken.yaml', 'server: [1, 2\n');
    expect(() => loadConfig(file, {})).toThrowError(
      expect.objectContaining({ code: 'ERR_CONFIG_FILE' }),
    );
  });

  it('makes `warden serve` exit non-zero before listening, naming the key', () => {
    const file = write('cli.yaml', `${VALID}\nserver: { port: -1 }\n`);
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', file],
      { cwd: REPO, encoding: 'utf8' },
    );

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('ERR_CONFIG_INVALID');
    expect(result.stderr).toContain('server.port');
  });
});
