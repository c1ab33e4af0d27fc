import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { WardenError } from '../errors.js';
import type { CaseResult } from '../policy/cases.js';

/** Writes to stdout: the CLI's own output channel. */
export type Write = (text: string) => void;

const stdout: Write = (text) => process.stdout.write(text);

/**
 * Registers `warden policy validate` and `warden policy test`. Both throw a `WardenError` for an
 * expected failure, which the CLI prints as one line (plus Cedar's list) and exits 1 on.
 */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('validate and test Cedar policies');

  policy
    .command('validate')
    .description('parse and validate the schema and policies (and check them against the agent)')
    .option('-c, --config <path>', 'configuration naming them (default: $WARDEN_CONFIG)')
    .option('--schema <file>', 'a Cedar schema, instead of the configured one')
    .option('--policies <files...>', 'Cedar policy files or directories, with --schema')
    .action(async (options: ValidateOptions) => runPolicyValidate(options, stdout));

  policy
    .command('test')
    .description('evaluate a table of cases and compare each decision with the expected one')
    .argument('<cases>', 'a YAML file of cases (e.g. policies/support/cases.yaml)')
    .action(async (file: string) => {
      process.exitCode = await runPolicyTest(file, stdout);
    });
}

/** Options of `warden policy validate`. */
export interface ValidateOptions {
  config?: string;
  schema?: string;
  policies?: string[];
}

/** `warden policy validate`: prints what was loaded, or throws `ERR_POLICY_INVALID`. */
export async function runPolicyValidate(options: ValidateOptions, write: Write): Promise<void> {
  const { loadPolicyBundle } = await import('../policy/load.js');
  if (options.schema !== undefined || options.policies !== undefined) {
    if (options.schema === undefined || options.policies === undefined) {
      throw new WardenError('ERR_POLICY_INVALID', '--schema and --policies go together');
    }
    const bundle = loadPolicyBundle({ schema: options.schema, files: options.policies });
    return writeValid(write, bundle.policies.length, bundle.hash, bundle.warnings);
  }

  const configPath = options.config ?? process.env['WARDEN_CONFIG'];
  if (configPath === undefined) {
    throw new WardenError(
      'ERR_POLICY_INVALID',
      'pass --config PATH (or set WARDEN_CONFIG), or --schema and --policies',
    );
  }
  const config = loadConfig(configPath);
  const { preparePolicy } = await import('../policy/setup.js');
  const { createLogger } = await import('../log/logger.js');
  const agent = await importAgentModule(config.agent.module);
  const prepared = preparePolicy(config, agent, createLogger({ silent: true }));
  if (prepared === undefined)
    throw new WardenError('ERR_POLICY_INVALID', `${configPath} has no "policy" section`);

  const bundle = prepared.engine.current();
  writeValid(write, bundle.policies.length, bundle.hash, bundle.warnings);
}

/** `warden policy test`: prints the table and returns the exit code (1 on any mismatch). */
export async function runPolicyTest(file: string, write: Write): Promise<number> {
  const { readCasesFile, runCases } = await import('../policy/cases.js');
  const { loadPolicyBundle } = await import('../policy/load.js');
  const { createPolicyEngine } = await import('../policy/engine.js');
  const cases = readCasesFile(file);
  const bundle = loadPolicyBundle({ schema: cases.schema, files: cases.policies });
  const engine = createPolicyEngine(bundle, { cache: { ttlMs: 0, maxEntries: 1 } });

  const results = await runCases(engine, cases);
  write(formatCaseTable(results));
  const failed = results.filter((r) => !r.passed).length;
  write(`\n${results.length - failed} passed, ${failed} failed (policy set ${bundle.hash})\n`);
  return failed === 0 ? 0 : 1;
}

/** The results as a table: one row per case, mismatches marked. */
export function formatCaseTable(results: readonly CaseResult[]): string {
  const rows = results.map((r, i) => [
    String(i + 1),
    r.passed ? 'ok' : 'FAIL',
    r.name,
    r.action,
    r.expected,
    r.actual,
    r.policies.join(' ') || '-',
  ]);
  const header = ['#', '', 'case', 'action', 'expected', 'actual', 'determining policies'];
  const widths = header.map((h, c) =>
    Math.max(h.length, ...rows.map((row) => row[c]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd();

  const errorLines = results.flatMap((r, i) =>
    r.passed ? [] : r.errors.map((e) => `  #${i + 1}: ${e}`),
  );
  return [line(header), ...rows.map(line), ...errorLines].join('\n') + '\n';
}

function writeValid(write: Write, count: number, hash: string, warnings: readonly string[]): void {
  for (const warning of warnings) write(`warning: ${warning}\n`);
  write(`policy set valid: ${count} policies, hash ${hash}\n`);
}

async function importAgentModule(modulePath: string) {
  const { pathToFileURL } = await import('node:url');
  const loaded = (await import(pathToFileURL(modulePath).href)) as { default?: unknown };
  if (typeof loaded.default !== 'object' || loaded.default === null) {
    throw new WardenError(
      'ERR_CONFIG_INVALID',
      `agent.module: ${modulePath} has no default export`,
    );
  }
  return loaded.default as import('../agent/define.js').AgentDefinition;
}
