import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/** JWS algorithms the development IdP can sign access tokens with. */
export type DevIdpSigningAlg = 'ES256' | 'RS256' | 'EdDSA';

/** A freshly generated signing key, as the provider wants it and as verifiers see it. */
export interface DevIdpSigningKey {
  /** Private JWK for the provider's `jwks` configuration. Never log it. */
  privateJwk: JWK;
  /** The same key without its private parts, as the provider publishes it at `jwks_uri`. */
  publicJwk: JWK;
}

/**
 * Generates a signing key pair for `alg`, fresh on every start, so no key outlives the process.
 *
 * The `kid` is the key's RFC 7638 thumbprint: unique per key without keeping a counter.
 */
export async function generateSigningKey(alg: DevIdpSigningAlg): Promise<DevIdpSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);

  // `alg` and `use` pin the key to one purpose; oidc-provider cannot infer `alg` for OKP keys.
  const kid = await calculateJwkThumbprint(publicJwk);
  const labels = { kid, alg, use: 'sig' };

  return {
    privateJwk: { ...(await exportJWK(privateKey)), ...labels },
    publicJwk: { ...publicJwk, ...labels },
  };
}
