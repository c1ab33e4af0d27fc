import { createHash } from 'node:crypto';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type GenerateKeyPairResult,
  type JWK,
} from 'jose';
import * as oidc from 'openid-client';
import type { DevIdp } from '../../src/devidp/index.js';
import { idpClient } from '../support/harness.js';

/** A client's DPoP key pair, with the public JWK its proofs embed. */
export interface DpopKey {
  readonly keyPair: GenerateKeyPairResult;
  readonly publicJwk: JWK;
}

/** Generates a DPoP key pair (ES256 unless told otherwise). */
export async function generateDpopKey(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<DpopKey> {
  const keyPair = await generateKeyPair(alg, { extractable: true });
  return { keyPair, publicJwk: await exportJWK(keyPair.publicKey) };
}

/**
 * A real DPoP-bound access token: client credentials at the dev IdP (oidc-provider) with a DPoP
 * proof by `key`, through openid-client, so the token's `cnf.jkt` is the key's thumbprint.
 */
export async function boundToken(
  idp: DevIdp,
  clientId: string,
  scopes: string[],
  resource: string,
  key: DpopKey,
): Promise<string> {
  const client = await idpClient(idp, clientId);
  const DPoP = oidc.getDPoPHandle(client, key.keyPair);
  const response = await oidc.clientCredentialsGrant(
    client,
    { scope: scopes.join(' '), resource },
    { DPoP },
  );
  if (response.token_type.toLowerCase() !== 'dpop') throw new Error('token is not DPoP-bound');
  return response.access_token;
}

/** What a hand-made proof claims; anything left out gets the value a correct client would use. */
export interface ProofClaims {
  htm?: string;
  htu: string;
  /** The access token the proof accompanies; `ath` is its hash unless `ath` is given. */
  token?: string;
  ath?: string;
  iat?: number;
  jti?: string;
  nonce?: string;
}

/** Signs a DPoP proof with `key` (header fields merged over `typ`, `alg` and `jwk`). */
export async function makeProof(
  key: DpopKey,
  claims: ProofClaims,
  header: Record<string, unknown> = {},
  signingKey: CryptoKey = key.keyPair.privateKey,
): Promise<string> {
  const payload = {
    htm: claims.htm ?? 'POST',
    htu: claims.htu,
    jti: claims.jti ?? crypto.randomUUID(),
    iat: claims.iat ?? Math.floor(Date.now() / 1000),
    ...(claims.token === undefined && claims.ath === undefined
      ? {}
      : { ath: claims.ath ?? accessTokenHash(claims.token ?? '') }),
    ...(claims.nonce === undefined ? {} : { nonce: claims.nonce }),
  };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk, ...header })
    .sign(signingKey);
}

/** RFC 9449 §4.2 `ath`: base64url of the SHA-256 of the access token. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
