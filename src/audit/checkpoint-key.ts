import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { describe } from './reader.js';

/** The Ed25519 key that signs checkpoints. */
export interface CheckpointKey {
  readonly kid: string;
  /** Never log it, never serialise it. */
  readonly privateKey: KeyObject;
  readonly publicJwk: JWK;
}

/**
 * Loads the checkpoint signing key (a private Ed25519 JWK). When the file is absent and
 * `generateIfMissing` is set, creates one with mode 0600 and warns `WARDEN_AUDIT_KEY_GENERATED`;
 * otherwise throws `ERR_AUDIT_KEY` naming the file. Messages never quote the key.
 */
export async function loadCheckpointKey(
  options: { keyFile: string; generateIfMissing: boolean },
  logger: Logger,
): Promise<CheckpointKey> {
  const text = readKey(options.keyFile, options.generateIfMissing);
  if (text !== undefined) return importCheckpointKey(text, options.keyFile);

  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint(jwk as JWK);
  writeKeyFile(options.keyFile, { ...jwk, alg: 'EdDSA', kid });
  logger.warn('generated an audit checkpoint key; SHOULD be a managed key outside development', {
    code: 'WARDEN_AUDIT_KEY_GENERATED',
    keyFile: options.keyFile,
    kid,
  });
  return loadCheckpointKey({ ...options, generateIfMissing: false }, logger);
}

/**
 * The public key that verifies checkpoints, from a JWK file holding the public or the private key
 * (only its public members are used).
 */
export function loadVerificationKey(file: string): KeyObject {
  const text = readKey(file, false) ?? '';
  const key = createKey(parseJwk(text, file), file, true);
  return key.type === 'public' ? key : createPublicKey(key);
}

async function importCheckpointKey(text: string, file: string): Promise<CheckpointKey> {
  const jwk = parseJwk(text, file);
  const privateKey = createKey(jwk, file, false);
  if (privateKey.type !== 'private') {
    throw new WardenError(
      'ERR_AUDIT_KEY',
      `audit checkpoint key file ${file} holds no private key`,
    );
  }

  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const kid = typeof jwk['kid'] === 'string' ? jwk['kid'] : await calculateJwkThumbprint(publicJwk);
  return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg: 'EdDSA' } };
}

function readKey(file: string, missingIsFine: boolean): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    if (missingIsFine && cause instanceof Error && 'code' in cause && cause.code === 'ENOENT') {
      return undefined;
    }
    throw new WardenError('ERR_AUDIT_KEY', `cannot read key file ${file}: ${describe(cause)}`);
  }
}

function parseJwk(text: string, file: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // The SyntaxError is not kept: its message may quote key material.
  }
  throw new WardenError('ERR_AUDIT_KEY', `key file ${file} is not a JWK (JSON)`);
}

function createKey(jwk: Record<string, unknown>, file: string, publicIsFine: boolean): KeyObject {
  if (jwk['kty'] !== 'OKP' || jwk['crv'] !== 'Ed25519') {
    throw new WardenError('ERR_AUDIT_KEY', `key file ${file} is not an Ed25519 JWK (kty OKP)`);
  }
  try {
    const create = publicIsFine && jwk['d'] === undefined ? createPublicKey : createPrivateKey;
    return create({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    throw new WardenError('ERR_AUDIT_KEY', `key file ${file} holds no usable Ed25519 key`);
  }
}

// `wx`: never overwrite a key another process wrote meanwhile.
function writeKeyFile(file: string, jwk: object): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (cause) {
    if (cause instanceof Error && 'code' in cause && cause.code === 'EEXIST') return;
    throw new WardenError('ERR_AUDIT_KEY', `cannot write key file ${file}: ${describe(cause)}`);
  }
}
