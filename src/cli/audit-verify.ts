import { existsSync } from 'node:fs';
import { WardenError } from '../errors.js';
import { loadVerificationKey } from '../audit/checkpoint-key.js';
import { listChainFiles } from '../audit/files.js';
import { verifyAuditFiles, type VerifyReport } from '../audit/verify.js';
import { auditConfigOf, type Output } from './audit-config.js';

/** `warden audit verify` arguments. */
export interface VerifyCommandOptions {
  readonly files: readonly string[];
  readonly config?: string | undefined;
  readonly checkpoints?: string | undefined;
  readonly key?: string | undefined;
}

/**
 * `warden audit verify [FILE...]`: checks the chain, the sequence numbers and the signed
 * checkpoints. Given no file, verifies the configured audit file with its rotated predecessors,
 * and its checkpoints with the configured key. Prints what verified; a break throws
 * `ERR_AUDIT_CORRUPT` naming the first bad line and its kind, so the command exits 1.
 */
export async function runAuditVerify(options: VerifyCommandOptions, out: Output): Promise<void> {
  const sources = resolveSources(options);
  const key = sources.checkpoints && loadVerificationKey(sources.key ?? '');
  const report = await verifyAuditFiles({
    files: sources.files,
    checkpoints: sources.checkpoints && key ? { file: sources.checkpoints, key } : undefined,
  });

  out(describeReport(report, sources.files.length));
  if (report.problem) {
    const { file, line, kind, message } = report.problem;
    throw new WardenError('ERR_AUDIT_CORRUPT', `${file}:${line}: ${kind}: ${message}`);
  }
}

interface Sources {
  files: readonly string[];
  checkpoints: string | undefined;
  key: string | undefined;
}

function resolveSources(options: VerifyCommandOptions): Sources {
  const fromConfig =
    options.files.length === 0 || options.config !== undefined
      ? auditConfigOf(options.config, 'audit file')
      : undefined;
  const files =
    options.files.length > 0 ? options.files : existing(listChainFiles(fromConfig?.file ?? ''));
  if (files.length === 0) {
    throw new WardenError('ERR_AUDIT_FILE', `no audit file at ${fromConfig?.file ?? '(none)'}`);
  }

  const configured = fromConfig?.checkpoints.file;
  const checkpoints =
    options.checkpoints ?? (configured && existsSync(configured) ? configured : undefined);
  const key = options.key ?? fromConfig?.checkpoints.keyFile;
  if (checkpoints !== undefined && key === undefined) {
    throw new WardenError(
      'ERR_AUDIT_USAGE',
      '--key (a JWK file) is required to verify --checkpoints',
    );
  }
  return { files, checkpoints, key };
}

function existing(files: readonly string[]): string[] {
  return files.filter((file) => existsSync(file));
}

function describeReport(report: VerifyReport, fileCount: number): string {
  const range =
    report.first && report.head ? `seq ${report.first.seq}..${report.head.seq}` : 'no entries';
  const head = report.head ? `, head ${report.head.hash.slice(0, 16)}` : '';
  const before = report.problem ? 'before the break: ' : '';
  const lines = [`${before}${report.entries} entries in ${fileCount} file(s), ${range}${head}`];

  const checkpoints = report.checkpoints;
  if (checkpoints) {
    const last = checkpoints.last
      ? `; last signed ${checkpoints.last.time} at seq ${checkpoints.last.seq}`
      : '';
    const { matched, earlier } = checkpoints;
    lines.push(`checkpoints: ${matched} match, ${earlier} cover earlier files${last}`);
  } else {
    lines.push('checkpoints: none checked (a cut-off tail cannot be detected without them)');
  }
  if (report.torn) {
    lines.push(
      `note: ${report.torn.file}:${report.torn.line} is a torn last line (a write cut short by a ` +
        'crash, never acknowledged); Warden sets it aside when it starts',
    );
  }
  if (!report.problem) lines.push('OK: the chain is intact');
  return `${lines.join('\n')}\n`;
}
