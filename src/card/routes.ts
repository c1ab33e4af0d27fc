import { createHash } from 'node:crypto';
import { AgentCard } from '@a2a-js/sdk';
import express, { type RequestHandler } from 'express';
import type { JWK } from 'jose';
import { WardenError } from '../errors.js';

/** Where the public Agent Card is served (A2A §8.2, RFC 8615). */
export const AGENT_CARD_PATH = '/.well-known/agent-card.json';

/** Where the card signing keys are served; the signature's `jku` points here. */
export const JWKS_PATH = '/.well-known/jwks.json';

/** Options for {@link agentCardRoutes}. */
export interface AgentCardRoutesOptions {
  /** The public (signed) card. Serialised once, when the router is built. */
  card: AgentCard;
  /** Public keys that verify the card's signatures. A private member here is refused. */
  jwks: { keys: JWK[] };
  /** `Cache-Control: max-age` of both documents, in seconds; default 300. */
  maxAgeSec?: number;
}

/** JWK members that hold private or symmetric key material (RFC 7518 §6, RFC 8037 §2). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

/**
 * Serves the public Agent Card and the JWKS that verifies its signature, each with
 * `Cache-Control`, a strong `ETag` and `304 Not Modified` on a matching `If-None-Match` (A2A §8.6,
 * RFC 9110 §13.1.2). HEAD is answered like GET, without a body.
 *
 * The body is `AgentCard.toJSON(card)`, the spec's ProtoJSON. The SDK's `agentCardHandler` is not
 * used: it sends `JSON.stringify` of the ts-proto object, whose oneofs come out as
 * `{"scheme": {"$case": ..., "value": ...}}`, which no A2A client can read as security schemes.
 *
 * @example
 * app.use(agentCardRoutes({ card: signedCard, jwks: { keys: [key.publicJwk] } }));
 */
export function agentCardRoutes(options: AgentCardRoutesOptions): express.Router {
  const maxAgeSec = options.maxAgeSec ?? 300;
  if (!Number.isInteger(maxAgeSec) || maxAgeSec < 0) {
    throw new WardenError('ERR_CONFIG_INVALID', `maxAgeSec must be a whole number >= 0`);
  }
  assertPublicKeysOnly(options.jwks.keys);

  const card = JSON.stringify(AgentCard.toJSON(options.card));
  const jwks = JSON.stringify({ keys: options.jwks.keys });

  const router = express.Router();
  router.get(AGENT_CARD_PATH, serveStaticJson(card, 'application/json', maxAgeSec));
  // RFC 7517 §8.5 registers the JWK Set media type.
  router.get(JWKS_PATH, serveStaticJson(jwks, 'application/jwk-set+json', maxAgeSec));

  return router;
}

/**
 * Whether an `If-None-Match` header matches `etag` by the weak comparison RFC 9110 §13.1.2
 * prescribes for it: `*` matches any current representation, and `W/"x"` matches `"x"`.
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) {
    return false;
  }
  if (header.trim() === '*') {
    return true;
  }

  const opaque = stripWeak(etag);
  const listed = header.match(/(?:W\/)?"[^"]*"/g) ?? [];

  return listed.some((tag) => stripWeak(tag) === opaque);
}

function serveStaticJson(body: string, contentType: string, maxAgeSec: number): RequestHandler {
  const bytes = Buffer.from(body, 'utf8');
  const etag = `"${createHash('sha256').update(bytes).digest('base64url')}"`;
  const cacheControl = `public, max-age=${maxAgeSec}`;

  return function serveStaticJsonDocument(req, res) {
    // RFC 9110 §15.4.5: a 304 carries the ETag and Cache-Control a 200 would have carried.
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', cacheControl);

    if (ifNoneMatchMatches(req.get('If-None-Match'), etag)) {
      res.status(304).end();
      return;
    }

    // res.end, not res.send: send() would run Express's own freshness check a second time.
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', bytes.length);
    res.status(200).end(req.method === 'HEAD' ? undefined : bytes);
  };
}

function stripWeak(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

function assertPublicKeysOnly(keys: readonly JWK[]): void {
  keys.forEach((key, index) => {
    const found = PRIVATE_JWK_MEMBERS.filter((member) => Object.hasOwn(key, member));
    if (found.length > 0) {
      throw new WardenError(
        'ERR_SIGNING_KEY',
        `refusing to serve JWKS key ${index} (kid ${key.kid ?? 'none'}): it has private members ` +
          found.join(', '),
      );
    }
  });
}
