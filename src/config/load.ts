import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { WardenError } from '../errors.js';
import { configSchema, type WardenConfigInput } from './schema.js';
import { substituteEnv } from './env.js';

/** A trusted issuer's configuration, its audience defaulted to `server.publicUrl`. */
export type IssuerConfig = WardenConfigInput['auth']['issuers'][number] & { audience: string };

/** Configuration with defaults applied, paths made absolute and derived values filled in. */
export interface WardenConfig extends Omit<WardenConfigInput, 'server' | 'auth'> {
  server: WardenConfigInput['server'] & { publicUrl: string };
  auth: Omit<WardenConfigInput['auth'], 'issuers'> & { issuers: IssuerConfig[] };
  /** The file the configuration came from, for messages; `<inline>` when built in code. */
  source: string;
}

/**
 * Reads, validates and resolves a YAML configuration file. Any problem throws a `WardenError`
 * (`ERR_CONFIG_FILE` or `ERR_CONFIG_INVALID`) whose message names the file and the key.
 *
 * @example
 * const config = loadConfig(process.env.WARDEN_CONFIG ?? 'config/warden.yaml');
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): WardenConfig {
  const absolute = path.resolve(file);
  const raw = readYaml(absolute);

  return resolveConfig(substituteEnv(raw, env, absolute), absolute);
}

/**
 * Validates an already-parsed configuration object. `source` names the file it came from; relative
 * paths resolve against that file's directory (or the working directory for `<inline>`).
 */
export function resolveConfig(raw: unknown, source = '<inline>'): WardenConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new WardenError('ERR_CONFIG_INVALID', describeIssues(parsed.error, source));
  }

  const baseDir = source === '<inline>' ? process.cwd() : path.dirname(source);
  return withDerivedValues(parsed.data, baseDir, source);
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new WardenError('ERR_CONFIG_FILE', `cannot read configuration file ${file}`, { cause });
  }

  const document = parseDocument(text, { prettyErrors: true });
  const [first] = document.errors;
  if (first) {
    throw new WardenError('ERR_CONFIG_FILE', `${file}: invalid YAML: ${first.message}`);
  }
  return document.toJS();
}

function describeIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `  ${key}: ${issue.message}`;
  });
  return `invalid configuration in ${source}:\n${lines.join('\n')}`;
}

function withDerivedValues(
  input: WardenConfigInput,
  baseDir: string,
  source: string,
): WardenConfig {
  const { server } = input;
  const publicUrl = stripTrailingSlash(server.publicUrl ?? `http://${server.host}:${server.port}`);
  const resolvePath = (p: string) => path.resolve(baseDir, p);

  return {
    ...input,
    source,
    server: { ...server, publicUrl },
    agentCard: resolvePath(input.agentCard),
    agent: { module: resolvePath(input.agent.module) },
    cardSigning: { ...input.cardSigning, keyFile: resolvePath(input.cardSigning.keyFile) },
    store: { ...input.store, path: resolvePath(input.store.path) },
    auth: {
      ...input.auth,
      issuers: input.auth.issuers.map((issuer) => ({
        ...issuer,
        audience: issuer.audience ?? publicUrl,
      })),
    },
  };
}

function stripTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
