import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';

/** A signing key of a test issuer, with its public JWK as published. */
export interface TestKey {
  readonly alg: 'ES256' | 'RS256' | 'EdDSA';
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/**
 * A minimal OpenID issuer for tests that need keys the test holds: IdP claim shapes (Okta, Entra,
 * Keycloak, Auth0), attack tokens signed by a trusted key (missing `exp`, `crit`, ...), and key
 * rotation and outages. It serves real discovery and JWKS documents over HTTP, so Warden
 * discovers and fetches it exactly as it would a real IdP; only the minting is the test's own.
 */
export interface TestIssuer {
  readonly issuer: string;
  readonly keys: TestKey[];
  /** How many times the JWKS was fetched. */
  jwksFetches: number;
  /** While true, the JWKS endpoint answers 503 (discovery keeps working). */
  down: boolean;
  addKey(alg?: TestKey['alg']): Promise<TestKey>;
  removeKey(kid: string): void;
  /** Signs `claims` with `key` (default: the first key), header fields merged over the default. */
  mint(claims: JWTPayload, options?: MintOptions): Promise<string>;
  close(): Promise<void>;
}

/** Header and key choices for {@link TestIssuer.mint}. */
export interface MintOptions {
  key?: TestKey;
  header?: Record<string, unknown>;
}

/** Generates a test key with its thumbprint as `kid`. */
export async function generateTestKey(alg: TestKey['alg'] = 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { alg, kid, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

/** Starts a {@link TestIssuer} on a free loopback port. */
export async function startTestIssuer(alg: TestKey['alg'] = 'ES256'): Promise<TestIssuer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const state: TestIssuer = {
    issuer,
    keys: [await generateTestKey(alg)],
    jwksFetches: 0,
    down: false,
    async addKey(keyAlg = alg) {
      const key = await generateTestKey(keyAlg);
      state.keys.push(key);
      return key;
    },
    removeKey(kid) {
      state.keys.splice(
        state.keys.findIndex((key) => key.kid === kid),
        1,
      );
    },
    mint: (claims, options = {}) => mint(state, claims, options),
    close: () => closeServer(server),
  };
  server.on('request', (req, res) => serveIssuer(state, req.url ?? '', res));
  return state;
}

async function mint(state: TestIssuer, claims: JWTPayload, options: MintOptions) {
  const key = options.key ?? state.keys[0];
  if (key === undefined) throw new Error('test issuer has no key');
  const header = { alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header };
  return new SignJWT(claims).setProtectedHeader(header).sign(key.privateKey);
}

function serveIssuer(state: TestIssuer, url: string, res: ServerResponse) {
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  if (url === '/.well-known/openid-configuration') {
    return json(200, {
      issuer: state.issuer,
      jwks_uri: `${state.issuer}/jwks`,
      token_endpoint: `${state.issuer}/token`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
  }
  if (url === '/jwks') {
    state.jwksFetches += 1;
    if (state.down) return json(503, { error: 'temporarily_unavailable' });
    return json(200, { keys: state.keys.map((key) => key.publicJwk) });
  }
  json(404, {});
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** RFC 9068 claims for `audience`, issued now (per `nowSec`) and valid five minutes. */
export function accessTokenClaims(
  issuer: string,
  audience: string,
  nowSec: number,
  extra: JWTPayload = {},
): JWTPayload {
  return {
    iss: issuer,
    aud: audience,
    sub: 'peer-agent-a',
    client_id: 'peer-agent-a',
    iat: nowSec,
    exp: nowSec + 300,
    jti: crypto.randomUUID(),
    scope: 'support.orders.read',
    ...extra,
  };
}
