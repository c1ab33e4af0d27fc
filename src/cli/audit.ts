import type { Command } from 'commander';
import { stdout } from './audit-config.js';
import { runAuditExplain } from './audit-explain.js';
import { runAuditTail } from './audit-tail.js';
import { runAuditVerify } from './audit-verify.js';

const CONFIG_HELP = 'configuration naming the audit file (default: $WARDEN_CONFIG)';

/**
 * Registers `warden audit verify | tail | explain`. Each command throws a `WardenError` for any
 * expected failure, which the CLI prints as one line and exits 1 on, never with a stack.
 */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('verify, follow and explain the audit trail');

  audit
    .command('verify')
    .description('check the hash chain, sequence numbers and signed checkpoints')
    .argument(
      '[files...]',
      'audit files in chain order (default: the configured file and its rotated ones)',
    )
    .option('-c, --config <path>', CONFIG_HELP)
    .option('--checkpoints <file>', 'checkpoint file (default: the configured one, if it exists)')
    .option(
      '--key <file>',
      'JWK verifying the checkpoints, public or private (default: configured)',
    )
    .action(
      async (files: string[], options: { config?: string; checkpoints?: string; key?: string }) => {
        await runAuditVerify({ files, ...options }, stdout);
      },
    );

  audit
    .command('tail')
    .description('show the last entries, one per line; --follow for new ones')
    .argument('[file]', 'audit file (default: the configured one)')
    .option('-c, --config <path>', CONFIG_HELP)
    .option('-n, --lines <n>', 'how many matching entries to show first', '20')
    .option('-f, --follow', 'keep showing entries as they are appended', false)
    .option('--agent <id>', 'only this calling agent (client id)')
    .option('--user <sub>', 'only on behalf of this user')
    .option('--event <prefix>', 'only these events: "tool" or "tool.denied"')
    .option('--decision <decision>', 'only this decision: allow, deny or hold')
    .option('--task <id>', 'only this task')
    .option('--since <time>', 'only from this ISO 8601 time, or this long ago: 15m, 2h, 7d')
    .option('--json', 'the entries as written (JSON lines)', false)
    .action(async (file: string | undefined, options: TailFlags) => {
      await runAuditTail(
        { ...options, file, lines: Number(options.lines), color: useColor() },
        stdout,
      );
    });

  audit
    .command('explain')
    .description("show a task's events in order and why each decision came out as it did")
    .argument('<taskId>', 'the task id')
    .argument('[files...]', 'audit files (default: the configured file and its rotated ones)')
    .option('-c, --config <path>', CONFIG_HELP)
    .option('--json', 'the entries as written (JSON lines)', false)
    .action(
      async (taskId: string, files: string[], options: { config?: string; json: boolean }) => {
        await runAuditExplain({ taskId, files, ...options, color: useColor() }, stdout);
      },
    );
}

interface TailFlags {
  config?: string;
  lines: string;
  follow: boolean;
  json: boolean;
  agent?: string;
  user?: string;
  event?: string;
  decision?: string;
  task?: string;
  since?: string;
}

// https://no-color.org: any non-empty NO_COLOR turns colour off.
function useColor(): boolean {
  return process.stdout.isTTY === true && !process.env['NO_COLOR'];
}
