import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import type { Approval } from '../approvals/approval.js';
import type { ApprovalsRequest } from './approvals-client.js';
import type { Write } from './policy.js';

/** Options every `warden approvals` command takes. */
interface ConnectionOptions {
  config?: string;
  url?: string;
  issuer?: string;
  clientId?: string;
  scope?: string;
  json?: boolean;
}

const stdout: Write = (text) => process.stdout.write(text);

/**
 * Registers `warden approvals list | show | approve | deny`, clients of the running server's
 * `/approvals` API. Credentials come from the environment, never from flags a process listing
 * would show: `WARDEN_TOKEN`, or `--client-id` with `WARDEN_CLIENT_SECRET`.
 */
export function registerApprovalCommands(program: Command): void {
  const approvals = program
    .command('approvals')
    .description('list and decide calls held for approval');
  const withConnection = (command: Command) =>
    command
      .option(
        '-c, --config <path>',
        'configuration whose server.publicUrl to use (default: $WARDEN_CONFIG)',
      )
      .option(
        '--url <url>',
        'Warden base URL (default: $WARDEN_URL, the configuration, http://127.0.0.1:8080)',
      )
      .option('--issuer <url>', "token issuer (default: the Agent Card's OpenID Connect issuer)")
      .option('--client-id <id>', 'client for client credentials (default: $WARDEN_CLIENT_ID)')
      .option(
        '--scope <scope>',
        'operator scope (default: approvals.operatorScope, else warden.approvals)',
      )
      .option('--json', 'print the API answer as JSON', false);

  withConnection(approvals.command('list').description('approvals, newest first'))
    .option('--status <status>', 'pending, approved, consumed, denied, expired or canceled')
    .action(async (options: ConnectionOptions & { status?: string }) => {
      const query = options.status ? `?status=${encodeURIComponent(options.status)}` : '';
      const body = await (await connect(options))(query);
      stdout(options.json ? json(body) : formatList((body['approvals'] ?? []) as Approval[]));
    });

  withConnection(
    approvals.command('show').description('one approval, with the exact input').argument('<id>'),
  ).action(async (id: string, options: ConnectionOptions) => {
    const body = await (await connect(options))(`/${encodeURIComponent(id)}`);
    stdout(options.json ? json(body) : formatApproval(body['approval'] as Approval));
  });

  for (const verdict of ['approve', 'deny'] as const) {
    withConnection(
      approvals.command(verdict).description(`${verdict} a held call`).argument('<id>'),
    )
      .option('--reason <text>', 'why; a denial reason is shown to the calling agent')
      .option('--input-hash <hash>', 'decide only if the input is still the one with this hash')
      .action(
        async (
          id: string,
          options: ConnectionOptions & { reason?: string; inputHash?: string },
        ) => {
          const body = { reason: options.reason, inputHash: options.inputHash };
          const answer = await (
            await connect(options)
          )(`/${encodeURIComponent(id)}/${verdict}`, body);
          const approval = answer['approval'] as Approval;
          stdout(
            options.json
              ? json(answer)
              : `${approval.status} ${approval.id} (${describeAction(approval)})\n`,
          );
        },
      );
  }
}

async function connect(options: ConnectionOptions): Promise<ApprovalsRequest> {
  const configPath = options.config ?? process.env['WARDEN_CONFIG'];
  const config = configPath === undefined ? undefined : loadConfig(configPath);
  const url =
    options.url ?? process.env['WARDEN_URL'] ?? config?.server.publicUrl ?? 'http://127.0.0.1:8080';

  // Loaded here: the other commands need neither openid-client nor the SDK.
  const { createApprovalsClient } = await import('./approvals-client.js');
  return createApprovalsClient({
    url,
    token: process.env['WARDEN_TOKEN'],
    clientId: options.clientId ?? process.env['WARDEN_CLIENT_ID'],
    clientSecret: process.env['WARDEN_CLIENT_SECRET'],
    issuer: options.issuer,
    scope: options.scope ?? config?.approvals.operatorScope ?? 'warden.approvals',
  });
}

/** The list as a table. */
export function formatList(approvals: readonly Approval[]): string {
  if (approvals.length === 0) return 'no approvals\n';
  const rows = approvals.map((a) => [
    a.id,
    a.status,
    `${a.action.kind}:${a.action.name}`,
    requesterOf(a),
    a.approverRoles.join(','),
    a.expiresAt,
  ]);
  const header = ['id', 'status', 'action', 'requester', 'approver roles', 'expires'];
  const widths = header.map((h, c) =>
    Math.max(h.length, ...rows.map((row) => row[c]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** One approval, field by field, with its input as JSON. */
export function formatApproval(a: Approval): string {
  const lines = [
    ['id', a.id],
    ['status', a.status],
    ['action', `${a.action.kind} "${a.action.name}"`],
    ['task', a.taskId],
    ['requester', requesterOf(a)],
    ['approver roles', a.approverRoles.join(', ')],
    ['policies', a.policies.join(', ')],
    ['created', a.createdAt],
    ['expires', a.expiresAt],
    ['input hash', a.inputHash],
    ...(a.decision
      ? [
          ['decided by', `${a.decision.approver} as ${a.decision.role ?? '-'}`],
          ['reason', a.decision.reason ?? ''],
        ]
      : []),
  ];
  const fields = lines.map(([key, value]) => `${`${key}:`.padEnd(16)}${value}`).join('\n');
  return `${fields}\ninput:\n${JSON.stringify(a.input, null, 2)}\n`;
}

function describeAction(a: Approval): string {
  return `${a.action.kind} "${a.action.name}"`;
}

function requesterOf(a: Approval): string {
  return a.requester.user === undefined
    ? a.requester.agent
    : `${a.requester.user} via ${a.requester.agent}`;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
