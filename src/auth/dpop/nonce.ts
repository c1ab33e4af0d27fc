import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Server-provided DPoP nonces (RFC 9449 §9). */
export interface DpopNonces {
  /** A nonce the client must put in its next proofs. */
  issue(): string;
  /** Whether a proof's `nonce` is one this server issued and still accepts. */
  accepts(nonce: unknown): boolean;
}

/** Options of {@link createDpopNonces}. */
export interface DpopNonceOptions {
  /** HMAC key; share it between replicas so each accepts the others' nonces. */
  secret: string | undefined;
  lifetimeSec: number;
  /** The clock, ms since the epoch. */
  now: () => number;
}

/**
 * Stateless nonces: a time window number and its HMAC, `<window>.<mac>`. A nonce is accepted in
 * its own window and the next, so it lives between one and two lifetimes, and no replica has to
 * remember what it issued. Without a configured secret each process picks a random one, which is
 * right for one process and wrong for several (each would refuse the others' nonces).
 */
export function createDpopNonces(options: DpopNonceOptions): DpopNonces {
  const key = options.secret ?? randomBytes(32).toString('base64url');
  const windowOf = () => Math.floor(options.now() / 1000 / options.lifetimeSec);
  const mac = (window: number) =>
    createHmac('sha256', key).update(`dpop-nonce:${window}`).digest('base64url');

  return {
    issue() {
      const window = windowOf();
      return `${window.toString(36)}.${mac(window)}`;
    },
    accepts(nonce) {
      if (typeof nonce !== 'string' || nonce.length > 64) return false;
      const [encoded, given] = nonce.split('.');
      const window = Number.parseInt(encoded ?? '', 36);
      const current = windowOf();
      if (given === undefined || (window !== current && window !== current - 1)) return false;
      return safeEqual(given, mac(window));
    },
  };
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
