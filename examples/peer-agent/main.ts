#!/usr/bin/env node
import { decodeJwt } from 'jose';

import { callSkill } from './call.js';
import { readAgentCard, skillScopes } from './card.js';
import { parsePeerOptions, USAGE, type PeerOptions } from './options.js';
import { formatTask } from './print.js';
import { requestAccessToken } from './token.js';

/**
 * A peer agent calling Warden the way any A2A client would: it reads Warden's public Agent Card,
 * discovers the IdP the card names (its `openIdConnectSecurityScheme`), gets an access token for
 * Warden (client credentials, or RFC 8693 token exchange with `--on-behalf-of USER`), calls one
 * skill over JSON-RPC with the official `@a2a-js/sdk` client and prints the resulting task.
 *
 * The defaults `--client peer-agent-a` and `--secret <client>-secret` are the DEVELOPMENT IdP's
 * well-known demo credentials (see `src/devidp`); against any other IdP pass real ones, and keep
 * the secret out of shell history. The token itself is never printed, only its `jti`.
 *
 * @example
 * npm start &    # Warden on :8080 with the dev IdP on :8081
 * npm run peer -- --on-behalf-of bob --skill customer-profile --args '{"customerId":"bob"}'
 */
async function main(argv: string[]): Promise<void> {
  const options = parsePeerOptions(argv);
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }

  const { card, schemeName, issuer } = await readAgentCard(options.url);
  const scope = options.scope ?? skillScopes(card, options.skill, schemeName).join(' ');
  process.stdout.write(`agent:   ${card.name} (${options.url})\nissuer:  ${issuer}\n`);

  const token = await requestAccessToken(tokenRequest(options, issuer, scope));
  process.stdout.write(`token:   ${describeToken(options, token, scope)}\n`);

  const task = await callSkill(card, token, { skill: options.skill, args: options.args });
  process.stdout.write(`${formatTask(task)}\n`);
}

function tokenRequest(options: PeerOptions, issuer: string, scope: string) {
  return {
    issuer,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scope,
    resource: options.url,
    ...(options.onBehalfOf !== undefined ? { onBehalfOf: options.onBehalfOf } : {}),
  };
}

function describeToken(options: PeerOptions, token: string, scope: string): string {
  const { jti } = decodeJwt(token);
  const actingFor = options.onBehalfOf === undefined ? '' : ` on behalf of ${options.onBehalfOf}`;

  return `client ${options.clientId}${actingFor}, scope "${scope}", jti ${jti ?? '(none)'}`;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);

  // One line, so scripts and tests can read the reason; details that span lines are cut.
  process.stderr.write(`peer-agent: ${message.split('\n')[0] ?? ''}\n`);
  process.exitCode = 1;
});
