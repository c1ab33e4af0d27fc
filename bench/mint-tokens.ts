import { performance } from 'node:perf_hooks';
import * as oidc from 'openid-client';
import type { DevIdp, DevIdpClient } from '../src/devidp/index.js';

/** What {@link mintTokens} asks the IdP for. */
export interface MintRequest {
  readonly clients: readonly DevIdpClient[];
  /** Distinct tokens wanted; token `i` belongs to client `i % clients.length`. */
  readonly count: number;
  readonly scope: string;
  /** The RFC 8707 resource indicator: the token's audience. */
  readonly resource: string;
  /** Token requests in flight at once. */
  readonly concurrency: number;
}

/** Minted tokens and how long the IdP took to issue them. */
export interface MintedTokens {
  readonly tokens: string[];
  readonly mintMs: number;
}

/**
 * Mints client credentials tokens at the development IdP, round-robin over the clients, so that
 * consecutive tokens belong to different agents and each agent holds `count / clients` distinct
 * tokens (distinct `jti`). Requests run `concurrency` at a time: oidc-provider signs each token,
 * and an unbounded burst of a thousand would only queue inside it.
 */
export async function mintTokens(idp: DevIdp, request: MintRequest): Promise<MintedTokens> {
  if (request.clients.length === 0) throw new RangeError('bench: no clients to mint tokens for');
  const started = performance.now();

  // One discovery serves every client: they share the issuer's metadata.
  const discovered = await discover(idp, request.clients[0] as DevIdpClient);
  const configurations = request.clients.map((client) =>
    configurationFor(discovered.serverMetadata(), client),
  );
  const grant = { scope: request.scope, resource: request.resource };

  const tokens = await mapConcurrently(request.count, request.concurrency, async (index) => {
    const configuration = configurations[index % configurations.length] as oidc.Configuration;
    return (await oidc.clientCredentialsGrant(configuration, grant)).access_token;
  });
  return { tokens, mintMs: performance.now() - started };
}

function discover(idp: DevIdp, client: DevIdpClient): Promise<oidc.Configuration> {
  // The dev IdP speaks plain HTTP on loopback; openid-client refuses that unless told.
  return oidc.discovery(new URL(idp.issuer), client.clientId, client.clientSecret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
}

function configurationFor(server: oidc.ServerMetadata, client: DevIdpClient): oidc.Configuration {
  const configuration = new oidc.Configuration(server, client.clientId, client.clientSecret);
  oidc.allowInsecureRequests(configuration);
  return configuration;
}

/** Runs `task(0)` .. `task(count - 1)`, at most `limit` at a time, results in index order. */
async function mapConcurrently<T>(
  count: number,
  limit: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) results[index] = await task(index);
  };

  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}
