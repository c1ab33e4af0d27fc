import path from 'node:path';
import { z } from 'zod';
import { isKnownTimeZone } from './time.js';

/**
 * The `policy` section of Warden's configuration. Without it every skill and tool call whose
 * scopes the token carries is allowed, and Warden logs `WARDEN_NO_POLICY` at start. Every key is
 * in the README's "Configuration" table; keep the two in step.
 */
export const policySchema = z.strictObject({
  /** The Cedar schema (`.cedarschema`); Warden's prelude types are added in front of it. */
  schema: z.string().min(1),
  /** Cedar policy files, or directories whose `*.cedar` files are read in name order. */
  files: z.array(z.string().min(1)).nonempty(),
  /** IANA time zone of `context.time`, e.g. `Europe/Berlin`. */
  timeZone: z.string().refine(isKnownTimeZone, 'must be an IANA time zone').default('UTC'),
  cache: z
    .strictObject({
      /** How long a decision is reused for identical inputs, in ms; 0 turns the cache off. */
      ttlMs: z.number().int().min(0).max(60_000).default(2_000),
      /** Most decisions kept. */
      maxEntries: z.number().int().min(1).max(1_000_000).default(10_000),
    })
    .default({ ttlMs: 2_000, maxEntries: 10_000 }),
});

/** The `policy` section as written, after defaults. */
export type PolicyConfig = z.infer<typeof policySchema>;

/**
 * The schema and policy paths, relative ones resolved against the directory of the configuration
 * file (`source`), or the working directory for a configuration built in code.
 */
export function policySourcesOf(policy: PolicyConfig, source: string) {
  const baseDir = source === '<inline>' ? process.cwd() : path.dirname(source);
  const resolve = (p: string) => path.resolve(baseDir, p);

  return { schema: resolve(policy.schema), files: policy.files.map(resolve) };
}
