#!/usr/bin/env node
import { Command } from 'commander';
import { isWardenError } from '../errors.js';
import { registerAuditCommands } from './audit.js';
import { registerPolicyCommands } from './policy.js';
import { registerApprovalCommands } from './approvals.js';

/** The `warden` command line. */
const program = new Command()
  .name('warden')
  .description('An A2A agent server that makes authorization its first-class concern');

program
  .command('serve')
  .description('run the agent server')
  .option('-c, --config <path>', 'configuration file (default: $WARDEN_CONFIG)')
  .action(async (options: { config?: string }) => {
    const configPath = options.config ?? process.env['WARDEN_CONFIG'];
    if (configPath === undefined) fail('no configuration: pass --config PATH or set WARDEN_CONFIG');
    // Loaded here, not at the top: `warden audit ...` needs none of the server (nor its start-up
    // cost, nor the warnings its dependencies print when imported).
    const { serve } = await import('./serve.js');
    await serve(configPath);
  });

registerAuditCommands(program);
registerPolicyCommands(program);
registerApprovalCommands(program);

program.parseAsync().catch((error: unknown) => {
  if (isWardenError(error)) fail(`${error.code}: ${error.message}`);
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
});

// The CLI's own diagnostics go to stderr before (or without) any logger: this is the one place
// outside the logger allowed to write, and it never prints configuration values.
function fail(message: string): never {
  process.stderr.write(`warden: ${message}\n`);
  process.exit(1);
}
