import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type GrantContext } from 'oidc-provider';
import * as oidc from 'openid-client';
import { resolveDevIdpOptions } from '../../src/devidp/options.js';
import { buildProviderConfiguration } from '../../src/devidp/provider-config.js';
import { generateSigningKey } from '../../src/devidp/keys.js';
import { silentLogger } from '../support/harness.js';

/** An IdP that hands out real OpenID Connect ID tokens. */
export interface IdTokenIdp {
  readonly issuer: string;
  /** An ID token for `sub`, issued to `clientId` (secret `<clientId>-secret`). */
  idToken(clientId: string, sub: string): Promise<string>;
  close(): Promise<void>;
}

// The oidc-provider model that signs ID tokens; the dev IdP's type declarations leave it out.
interface IdTokenModel {
  scope: string;
  set(claim: string, value: unknown): void;
  issue(options: { use: 'idtoken' }): Promise<string>;
}
type IdTokenClass = new (claims: object, options: { ctx: GrantContext }) => IdTokenModel;

const ID_TOKEN_GRANT = 'urn:warden:test:id-token';

/**
 * TEST ONLY. The dev IdP's own oidc-provider configuration plus one grant that returns an ID
 * token for a named user, because the dev IdP has no login (and so no authorization code flow)
 * to get one the usual way. The ID token itself is oidc-provider's, signed with its keys, exactly
 * as it would come out of a code flow.
 */
export async function startIdTokenIdp(): Promise<IdTokenIdp> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const options = resolveDevIdpOptions({
    port: 0,
    resources: { 'https://unused.example': { scopes: ['unused'] } },
    logger: silentLogger,
  });
  const key = await generateSigningKey('ES256');
  const configuration = buildProviderConfiguration(options, key.privateJwk) as {
    clients: Record<string, unknown>[];
    ttl: Record<string, number>;
  };
  const provider = new Provider(issuer, {
    ...configuration,
    clients: configuration.clients.map((client) => ({
      ...client,
      grant_types: ['client_credentials', ID_TOKEN_GRANT],
    })),
    ttl: { ...configuration.ttl, IdToken: 300 },
  });
  provider.registerGrantType(ID_TOKEN_GRANT, (ctx) => issueIdToken(provider, ctx), ['sub']);
  server.on('request', provider.callback());

  return {
    issuer,
    async idToken(clientId, sub) {
      const client = await oidc.discovery(
        new URL(issuer),
        clientId,
        `${clientId}-secret`,
        undefined,
        {
          execute: [oidc.allowInsecureRequests],
        },
      );
      const response = await oidc.genericGrantRequest(client, ID_TOKEN_GRANT, { sub });
      if (response.id_token === undefined) throw new Error('no ID token issued');
      return response.id_token;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function issueIdToken(provider: Provider, ctx: GrantContext): Promise<void> {
  const IdToken = (provider as unknown as { IdToken: IdTokenClass }).IdToken;
  const token = new IdToken({ sub: String(ctx.oidc.params['sub']) }, { ctx });
  token.scope = 'openid';
  token.set('nonce', 'n-0S6_WzA2Mj');

  ctx.body = {
    access_token: 'unused',
    token_type: 'Bearer',
    id_token: await token.issue({ use: 'idtoken' }),
  };
}
