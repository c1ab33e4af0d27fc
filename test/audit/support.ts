import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import winston from 'winston';
import {
  auditSchema,
  resolveAuditConfig,
  type ResolvedAuditConfig,
} from '../../src/audit/config.js';
import type { AuditEntry } from '../../src/audit/entry.js';
import {
  openAuditTrail,
  type AuditTrailOptions,
  type DurableAuditTrail,
} from '../../src/audit/trail.js';
import {
  defaultPrincipalPolicy,
  principalFromClaims,
  type Principal,
} from '../../src/auth/principal.js';
import type { Logger } from '../../src/log/logger.js';
import { silentLogger } from '../support/harness.js';

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-audit-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The audit configuration of a Warden whose store is in `dir`, with `audit` overrides. */
export function auditConfigIn(
  dir: string,
  audit: Record<string, unknown> = {},
): ResolvedAuditConfig {
  return resolveAuditConfig({
    audit: auditSchema.parse(audit),
    store: { path: path.join(dir, 'warden.db') },
    source: path.join(dir, 'warden.yaml'),
  });
}

/** Opens a trail over `config`, silently. */
export function openTrail(
  config: ResolvedAuditConfig,
  options: Partial<AuditTrailOptions> = {},
): Promise<DurableAuditTrail> {
  return openAuditTrail({ config, logger: silentLogger, ...options });
}

/** A principal as a verified token would give it: peer-agent-a acting for alice. */
export const alice: Principal = principalFromClaims(defaultPrincipalPolicy('https://idp.example'), {
  sub: 'alice',
  client_id: 'peer-agent-a',
  act: { sub: 'peer-agent-a' },
  scope: 'support.orders.read',
  jti: 'jti-1',
  exp: 2_000_000_000,
});

/** Records `count` tool.completed entries for task `t-<i % 3>`. */
export async function recordMany(trail: DurableAuditTrail, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    await trail.record({
      event: 'tool.completed',
      principal: alice,
      taskId: `t-${i % 3}`,
      tool: 'list-orders',
      parameters: { customerId: 'alice', i },
      durationMs: i,
    });
  }
}

/** The file's lines (without the final empty string). */
export function linesOf(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

/** The file's entries. */
export function entriesOf(file: string): AuditEntry[] {
  return linesOf(file).map((line) => JSON.parse(line) as AuditEntry);
}

/** Rewrites `file` as `lines`, each ending in a newline. */
export function writeLines(file: string, lines: readonly string[]): void {
  writeFileSync(file, lines.map((line) => `${line}\n`).join(''));
}

/** A logger whose JSON lines a test can read. */
export function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const sink = new PassThrough();
  const chunks: string[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream: sink })],
  });

  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}
