import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  FlattenedSign,
  flattenedVerify,
  generateKeyPair,
  type CryptoKey,
  type JWK,
} from 'jose';
import { z } from 'zod';
import type { WardenConfigInput } from '../config/schema.js';
import { WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';

/** Where the card signing key lives and how a missing one is handled (`cardSigning` config). */
export type CardSigningOptions = WardenConfigInput['cardSigning'];

/** The key that signs the Agent Card, with the public half the JWKS endpoint serves. */
export interface CardSigningKey {
  /** Key ID, the `kid` of the JWS protected header and of the public JWK. */
  kid: string;
  /** JWS algorithm, e.g. `ES256`. */
  alg: string;
  /** The private key. Never log it, never serialise it. */
  privateKey: CryptoKey | KeyObject;
  /** The public JWK (no `d` or other private member), with `kid`, `alg` and `use: "sig"`. */
  publicJwk: JWK;
}

/** Asymmetric JWS algorithms a card may be signed with; `none` and HMAC never qualify. */
const signingAlgorithms = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
] as const;

// Loose: a JWK may carry `use`, `key_ops`, `ext` and the like. Messages never echo values.
const privateJwkSchema = z.looseObject({
  kty: z.enum(['EC', 'OKP', 'RSA']),
  alg: z.enum(signingAlgorithms),
  kid: z.string().min(1),
  d: z.string().min(1),
});

/**
 * Loads the Agent Card signing key from a private JWK file (JSON with `alg` and `kid`). When the
 * file is absent and `generateIfMissing` is set, generates one, writes it with mode 0600 and logs
 * the warning `WARDEN_CARD_KEY_GENERATED`; otherwise throws `ERR_SIGNING_KEY` naming the file.
 * `algorithm` applies to a generated key only; an existing file's own `alg` is used as it is.
 * Before returning, signs and verifies a probe, so a file whose public members do not belong to
 * its private key fails here rather than in every peer that verifies the card.
 *
 * @example
 * const key = await loadSigningKey(config.cardSigning, logger.child({ module: 'card' }));
 */
export async function loadSigningKey(
  options: CardSigningOptions,
  logger: Logger,
): Promise<CardSigningKey> {
  const file = options.keyFile;

  const content = readKeyFile(file);
  if (content === undefined && !options.generateIfMissing) {
    throw new WardenError(
      'ERR_SIGNING_KEY',
      `card signing key file ${file} does not exist ` +
        '(cardSigning.generateIfMissing creates one for development)',
    );
  }
  if (content === undefined) {
    await generateKeyFile(file, options.algorithm, logger);
    return loadSigningKey({ ...options, generateIfMissing: false }, logger);
  }

  const key = importPrivateJwk(content, file);
  await assertKeyPairMatches(key, file);

  return key;
}

/** The file's text, or `undefined` when it does not exist. */
function readKeyFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    if (isErrorCode(cause, 'ENOENT')) {
      return undefined;
    }
    throw new WardenError('ERR_SIGNING_KEY', `cannot read card signing key file ${file}`, {
      cause,
    });
  }
}

function importPrivateJwk(content: string, file: string): CardSigningKey {
  const parsed = privateJwkSchema.safeParse(parseJson(content, file));
  if (!parsed.success) {
    const members = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)');
    throw new WardenError(
      'ERR_SIGNING_KEY',
      `card signing key file ${file} is not a private signing JWK with alg and kid ` +
        `(check: ${[...new Set(members)].join(', ')})`,
    );
  }

  const { alg, kid } = parsed.data;
  const privateKey = createKeyObject(parsed.data, file);
  const exported = createPublicKey(privateKey).export({ format: 'jwk' });

  // Derived from the key object, not copied from the file: only public members can come out.
  const publicJwk: JWK = Object.freeze({ ...exported, kid, alg, use: 'sig' });

  return { kid, alg, privateKey, publicJwk };
}

function parseJson(content: string, file: string): unknown {
  try {
    return JSON.parse(content);
  } catch {
    // The SyntaxError is not kept as cause: its message quotes the file, i.e. key material.
    throw new WardenError('ERR_SIGNING_KEY', `card signing key file ${file} is not valid JSON`);
  }
}

function createKeyObject(jwk: z.output<typeof privateJwkSchema>, file: string): KeyObject {
  try {
    return createPrivateKey({ key: jwk, format: 'jwk' });
  } catch (cause) {
    throw new WardenError('ERR_SIGNING_KEY', `card signing key file ${file} holds no usable key`, {
      cause,
    });
  }
}

async function assertKeyPairMatches(key: CardSigningKey, file: string): Promise<void> {
  const probe = new TextEncoder().encode('warden card signing key probe');

  try {
    const jws = await new FlattenedSign(probe)
      .setProtectedHeader({ alg: key.alg })
      .sign(key.privateKey);
    await flattenedVerify(jws, key.publicJwk, { algorithms: [key.alg] });
  } catch (cause) {
    throw new WardenError(
      'ERR_SIGNING_KEY',
      `card signing key file ${file}: the key does not sign or verify with alg ${key.alg}`,
      { cause },
    );
  }
}

async function generateKeyFile(
  file: string,
  alg: CardSigningOptions['algorithm'],
  logger: Logger,
): Promise<void> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  // RFC 7638 uses only the required public members, so the private JWK gives the public thumbprint.
  const kid = await calculateJwkThumbprint(jwk);

  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const written = writeKeyFileOnce(
    file,
    `${JSON.stringify({ ...jwk, alg, kid, use: 'sig' }, null, 2)}\n`,
  );
  if (!written) {
    return;
  }

  logger.warn('generated an Agent Card signing key; SHOULD be a managed key outside development', {
    code: 'WARDEN_CARD_KEY_GENERATED',
    keyFile: file,
    kid,
    alg,
  });
}

/**
 * Creates the file with mode 0600. `wx` keeps a key another replica wrote meanwhile; that case
 * returns `false`.
 */
function writeKeyFileOnce(file: string, content: string): boolean {
  try {
    writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
    return true;
  } catch (cause) {
    if (isErrorCode(cause, 'EEXIST')) {
      return false;
    }
    throw new WardenError('ERR_SIGNING_KEY', `cannot write card signing key file ${file}`, {
      cause,
    });
  }
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}
