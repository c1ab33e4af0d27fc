import { parseArgs } from 'node:util';

import { PeerError } from './peer-error.js';

/** The peer agent's command line, after defaults. */
export interface PeerOptions {
  /** Warden's base URL; also the `resource` the token is requested for. */
  url: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes; absent: the scopes the card declares for `skill`. */
  scope?: string;
  /** A demo user to act for by token exchange. */
  onBehalfOf?: string;
  skill: string;
  args: Record<string, unknown>;
  help: boolean;
}

/** The `--help` text. */
export const USAGE = `usage: peer-agent [options]
  --url URL             Warden base URL (default http://127.0.0.1:8080)
  --client ID           OAuth client id (default peer-agent-a)
  --secret SECRET       client secret (default <client>-secret, the dev IdP's demo secret)
  --scope "S1 S2"       scopes to request (default: those the card declares for the skill)
  --on-behalf-of USER   act for a demo user by RFC 8693 token exchange (alice, bob)
  --skill ID            skill to call (default order-history)
  --args JSON           skill arguments (default {"customerId":"alice"})
`;

/** Parses `argv` (without the node and script paths); a bad flag throws a `PeerError`. */
export function parsePeerOptions(argv: string[]): PeerOptions {
  const { values } = parseFlags(argv);
  const clientId = values.client ?? 'peer-agent-a';

  return {
    url: (values.url ?? 'http://127.0.0.1:8080').replace(/\/+$/, ''),
    clientId,
    clientSecret: values.secret ?? `${clientId}-secret`,
    ...(values.scope !== undefined ? { scope: values.scope } : {}),
    ...(values['on-behalf-of'] !== undefined ? { onBehalfOf: values['on-behalf-of'] } : {}),
    skill: values.skill ?? 'order-history',
    args: parseSkillArgs(values.args ?? '{"customerId":"alice"}'),
    help: values.help ?? false,
  };
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        client: { type: 'string' },
        secret: { type: 'string' },
        scope: { type: 'string' },
        'on-behalf-of': { type: 'string' },
        skill: { type: 'string' },
        args: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new PeerError(error instanceof Error ? error.message : String(error));
  }
}

function parseSkillArgs(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PeerError('--args must be JSON, e.g. {"customerId":"alice"}');
  }

  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PeerError('--args must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
