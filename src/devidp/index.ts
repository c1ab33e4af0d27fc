import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Provider } from 'oidc-provider';
import type { Logger } from 'winston';

import { generateSigningKey } from './keys.js';
import { resolveDevIdpOptions, type DevIdpOptions } from './options.js';
import { buildProviderConfiguration } from './provider-config.js';
import { registerTokenExchange } from './token-exchange.js';

export type { DevIdpClient, DevIdpOptions } from './options.js';
export type { DevIdpSigningAlg } from './keys.js';
export { TOKEN_EXCHANGE_GRANT_TYPE } from './token-exchange.js';
export { ACCESS_TOKEN_TYPE, DEV_USER_TOKEN_TYPE } from './subject-token.js';

/** A running development IdP. */
export interface DevIdp {
  /** `http://HOST:PORT`; discovery is at `${issuer}/.well-known/openid-configuration`. */
  issuer: string;
  /** Stops the HTTP server, dropping open connections so the port frees at once. */
  close(): Promise<void>;
}

/**
 * Starts a DEVELOPMENT-ONLY OpenID Provider for Warden's demo and tests: `oidc-provider` with
 * client credentials and RFC 8693 token exchange, issuing RFC 9068 JWT access tokens for the
 * configured resources, with keys generated fresh at every start.
 *
 * Its client secrets are well known and its token exchange accepts a bare user name as proof of a
 * user, so it logs a `WARDEN_DEV_IDP` warning at start and MUST NOT be used in production.
 *
 * Two oidc-provider behaviours to expect: a client credentials request without `scope` gets a
 * token without a `scope` claim, and introspection answers `unsupported_token_type` for the JWT
 * access tokens this IdP issues (verify them against `jwks_uri` instead).
 *
 * @example
 * const idp = await startDevIdp({
 *   port: 0,
 *   resources: { 'http://127.0.0.1:8080/a2a': { scopes: ['tasks:read'] } },
 *   logger,
 * });
 */
export async function startDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  const resolved = resolveDevIdpOptions(options);
  const logger = options.logger.child({ component: 'devidp' });
  const signingKey = await generateSigningKey(resolved.signingAlg);

  // The issuer names the port, which is only known once the server listens.
  const server = createServer();
  const issuer = await listen(server, resolved.host, resolved.port);

  const provider = new Provider(
    issuer,
    buildProviderConfiguration(resolved, signingKey.privateJwk),
  );
  registerTokenExchange(provider, {
    issuer,
    signingAlg: resolved.signingAlg,
    publicJwk: signingKey.publicJwk,
    users: resolved.users,
    options: resolved,
    logger,
  });
  logProviderErrors(provider, logger);
  server.on('request', provider.callback());

  logger.warn('development IdP with well-known client secrets; it MUST NOT be used in production', {
    code: 'WARDEN_DEV_IDP',
    issuer,
  });

  return { issuer, close: () => closeServer(server) };
}

function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve(`http://${formatHost(host)}:${address.port}`);
    });
  });
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function logProviderErrors(provider: Provider, logger: Logger): void {
  // Client faults are the caller's business; the detail never holds a token or a secret.
  provider.on('grant.error', (_ctx, error) => {
    logger.debug('token.rejected', { error: error.error, detail: error.error_detail });
  });
  provider.on('server_error', (_ctx, error) => {
    logger.error('dev IdP server error', { error: error.message, stack: error.stack });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));

    // Keep-alive sockets would otherwise hold `close` open until they time out.
    server.closeAllConnections();
  });
}
