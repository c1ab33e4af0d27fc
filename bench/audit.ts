import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditSchema, resolveAuditConfig } from '../src/audit/config.js';
import type { AuditEventInput } from '../src/audit/event.js';
import { openAuditTrail, type DurableAuditTrail } from '../src/audit/trail.js';
import { defaultPrincipalPolicy, principalFromClaims } from '../src/auth/principal.js';
import { createLogger } from '../src/log/logger.js';
import { auditBatchEntries } from '../src/metrics/registry.js';

/** How much {@link benchAudit} appends. */
export interface AuditBenchOptions {
  /** Entries appended one after the other, each awaited (a batch each). Default 300. */
  readonly sequentialEntries?: number;
  /** Concurrent writers for the group-commit run. Default 64. */
  readonly concurrency?: number;
  /** Entries each concurrent writer appends, each awaited. Default 100. */
  readonly entriesPerWriter?: number;
}

/** A typical entry: a tool call with its principal, input and duration. */
const EVENT: AuditEventInput = {
  event: 'tool.completed',
  principal: principalFromClaims(defaultPrincipalPolicy('https://idp.example.com'), {
    sub: 'alice',
    client_id: 'peer-agent-a',
    act: { sub: 'peer-agent-a' },
    scope: 'support.orders.read',
    jti: 'b0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e',
    exp: 2_000_000_000,
  }),
  taskId: '5f0c8a3e-2b1d-4c7a-9e6f-0a1b2c3d4e5f',
  contextId: '6a1d9b4f-3c2e-4d8b-af70-1b2c3d4e5f60',
  tool: 'list-orders',
  parameters: { customerId: 'alice' },
  outcome: 'ok',
  durationMs: 0.42,
};

/**
 * Audit append throughput, in entries per second, with `fdatasync` on and off: one writer awaiting
 * each entry (`audit.fsyncOn.sequential`: every entry its own batch, the cost of one sync), and
 * many concurrent writers (`audit.fsyncOn.concurrent`: group commit, they share a sync), with the
 * mean batch size of the latter (`audit.fsyncOn.entriesPerBatch`); the same under `fsyncOff`.
 * Each run writes a fresh file in the OS temp dir, removed afterwards: the figures are that disk's.
 *
 * `npx tsx bench/audit.ts` prints a table; `bench/run.ts` calls {@link benchAudit}.
 */
export async function benchAudit(options: AuditBenchOptions = {}): Promise<Record<string, number>> {
  const sequential = options.sequentialEntries ?? 300;
  const writers = options.concurrency ?? 64;
  const perWriter = options.entriesPerWriter ?? 100;
  const figures: Record<string, number> = {};

  for (const fsync of [true, false]) {
    const key = `audit.${fsync ? 'fsyncOn' : 'fsyncOff'}`;
    figures[`${key}.sequential`] = await measure(fsync, async (trail) => {
      await appendEach(trail, sequential);
      return sequential;
    });

    const batchesBefore = await batchCount();
    figures[`${key}.concurrent`] = await measure(fsync, async (trail) => {
      await Promise.all(Array.from({ length: writers }, () => appendEach(trail, perWriter)));
      return writers * perWriter;
    });
    const batches = (await batchCount()) - batchesBefore;
    figures[`${key}.entriesPerBatch`] = Math.round((writers * perWriter) / Math.max(1, batches));
  }
  return figures;
}

async function appendEach(trail: DurableAuditTrail, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) await trail.record(EVENT);
}

/** Entries per second appended by `run` to a fresh trail. */
async function measure(
  fsync: boolean,
  run: (trail: DurableAuditTrail) => Promise<number>,
): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-audit-'));
  const config = resolveAuditConfig({
    audit: auditSchema.parse({ fsync }),
    store: { path: path.join(dir, 'warden.db') },
    source: '<inline>',
  });
  const trail = await openAuditTrail({ config, logger: createLogger({ silent: true }) });

  try {
    const started = performance.now();
    const entries = await run(trail);
    return Math.round(entries / ((performance.now() - started) / 1000));
  } finally {
    await trail.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function batchCount(): Promise<number> {
  const metric = await auditBatchEntries.get();
  return (
    metric.values.find((value) => value.metricName === 'warden_audit_batch_entries_count')?.value ??
    0
  );
}

const DESCRIPTIONS: Record<string, string> = {
  sequential: 'entries/s, 1 writer awaiting each',
  concurrent: 'entries/s, concurrent writers (group commit)',
  entriesPerBatch: 'entries per write + fdatasync',
};

function formatTable(figures: Record<string, number>): string {
  const rows = Object.entries(figures).map(([key, value]) => {
    const [, fsync = '', figure = ''] = key.split('.');
    const mode = fsync === 'fsyncOn' ? 'fsync on ' : 'fsync off';
    const label = `${mode}  ${DESCRIPTIONS[figure] ?? figure}`;
    return `${label.padEnd(58)}${value.toLocaleString('en-US').padStart(10)}`;
  });
  return [
    `Audit append throughput (files in ${os.tmpdir()}, Node ${process.version})`,
    '',
    ...rows,
  ].join('\n');
}

// `node dist/bench/audit.js` (or `npx tsx bench/audit.ts`) prints the table on its own.
if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  benchAudit().then(
    (figures) => process.stdout.write(`${formatTable(figures)}\n`),
    (error: unknown) => {
      process.stderr.write(
        `bench/audit: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
