import path from 'node:path';
import { z } from 'zod';

/**
 * The `audit` section of Warden's configuration. Every key is documented in the README's
 * "Configuration" table and in docs/audit.md.
 */

export const auditRedactionSchema = z
  .object({
    /**
     * Fields masked in `parameters` and `detail`, in addition to the built-in secret names. A plain
     * name (`email`) matches that key at any depth; a dotted path (`customer.email`) only there.
     */
    fields: z.array(z.string().min(1)).default([]),
    /** A string longer than this (UTF-8 bytes) is cut to this length and its SHA-256 recorded. */
    maxValueBytes: z.number().int().min(16).max(65_536).default(1_024),
    /** `parameters` (or `detail`) whose JSON is longer than this is cut and hashed as a whole. */
    maxParametersBytes: z.number().int().min(64).max(1_048_576).default(8_192),
  })
  .strict();

export const auditCheckpointSchema = z
  .object({
    /**
     * Private Ed25519 JWK signing the checkpoints. Without it (and without `generateIfMissing`) no
     * checkpoints are written, and a file cut short after its last line cannot be told from a
     * complete one (warned at start as `WARDEN_AUDIT_UNSIGNED`).
     */
    keyFile: z.string().min(1).optional(),
    /**
     * Create the key (mode 0600) when the file is absent; for development. Without a `keyFile`,
     * the key is `<audit file stem>.checkpoint-key.json` beside the audit file.
     */
    generateIfMissing: z.boolean().default(false),
    /** Where checkpoints go; default `<audit stem>.checkpoints.jsonl` beside the audit file. */
    file: z.string().min(1).optional(),
    /** Sign a checkpoint at most this many milliseconds after the head moved. */
    intervalMs: z.number().int().min(100).default(10_000),
    /** ... or as soon as this many entries were written since the last one. */
    everyEntries: z.number().int().min(1).default(1_000),
  })
  .strict();

export const auditSchema = z
  .object({
    /** The hash-chained audit file; default `audit.jsonl` in the directory of `store.path`. */
    file: z.string().min(1).optional(),
    /**
     * `fdatasync` each batch before acknowledging it. Turning it off keeps entries across a
     * process crash (they are in the kernel's page cache) but NOT across power loss or a kernel
     * crash; Warden warns `WARDEN_AUDIT_NO_FSYNC` at start.
     */
    fsync: z.boolean().default(true),
    /**
     * Start a new file (the chain continues) once the active one reaches this size; 0: never.
     * Warden verifies the whole active file at start, so this also bounds start-up time.
     */
    rotateBytes: z
      .number()
      .int()
      .nonnegative()
      .default(16 * 1024 * 1024),
    /** Also write each entry, once durable, to stdout through a separate winston `audit` logger. */
    console: z.boolean().default(false),
    redact: auditRedactionSchema.default(auditRedactionSchema.parse({})),
    checkpoints: auditCheckpointSchema.default(auditCheckpointSchema.parse({})),
  })
  .strict();

/** The `audit` section as written, after defaults. */
export type AuditConfig = z.infer<typeof auditSchema>;

/** The audit section with every path absolute and every default derived. */
export interface ResolvedAuditConfig extends Omit<AuditConfig, 'file' | 'checkpoints'> {
  file: string;
  checkpoints: Omit<AuditConfig['checkpoints'], 'file' | 'keyFile'> & {
    file: string;
    keyFile: string | undefined;
  };
}

/** The parts of Warden's configuration the audit paths derive from. */
export interface AuditPathContext {
  audit: AuditConfig;
  store: { path: string };
  /** The configuration file, or `<inline>`; relative paths resolve against its directory. */
  source: string;
}

/**
 * Makes the audit paths absolute: relative to the configuration file, the audit file defaulting to
 * `audit.jsonl` beside the task store, so a test or bench that moves the store moves the audit too.
 */
export function resolveAuditConfig(config: AuditPathContext): ResolvedAuditConfig {
  const baseDir = config.source === '<inline>' ? process.cwd() : path.dirname(config.source);
  const { audit } = config;
  const file = audit.file
    ? path.resolve(baseDir, audit.file)
    : path.join(path.dirname(config.store.path), 'audit.jsonl');
  const { checkpoints } = audit;

  return {
    ...audit,
    file,
    checkpoints: {
      ...checkpoints,
      file: checkpoints.file ? path.resolve(baseDir, checkpoints.file) : checkpointFileOf(file),
      keyFile: checkpoints.keyFile
        ? path.resolve(baseDir, checkpoints.keyFile)
        : checkpoints.generateIfMissing
          ? path.join(path.dirname(file), `${stemOf(file)}.checkpoint-key.json`)
          : undefined,
    },
  };
}

/** The default checkpoint file of an audit file: `audit.jsonl` -> `audit.checkpoints.jsonl`. */
export function checkpointFileOf(auditFile: string): string {
  return path.join(path.dirname(auditFile), `${stemOf(auditFile)}.checkpoints.jsonl`);
}

/** The file name without its directory and without a trailing `.jsonl`. */
export function stemOf(auditFile: string): string {
  return path.basename(auditFile).replace(/\.jsonl$/, '');
}
