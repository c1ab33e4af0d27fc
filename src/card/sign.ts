import { AgentCard, type AgentCardSignature } from '@a2a-js/sdk';
import canonicalize from 'canonicalize';
import { FlattenedSign } from 'jose';
import { WardenError } from '../errors.js';
import type { CardSigningKey } from './signing-key.js';

/**
 * Signs an Agent Card per A2A §8.4 and returns a copy with the signature appended to
 * `signatures` (appending lets a rotation sign with the old and the new key side by side).
 *
 * The payload is the RFC 8785 (JCS) form of the card's ProtoJSON (`AgentCard.toJSON`, which
 * already omits proto3 default values, §8.4.1 rule 1) without `signatures`. The JWS is detached:
 * a verifier rebuilds the payload from the card it received. The protected header carries `alg`,
 * `kid`, `typ: "JOSE"` and `jku` (§8.4.2).
 *
 * The SDK's `canonicalizeAgentCard` is not used, because for Warden's card it produces another
 * payload (see `test/card.test.ts`, "pins SDK fault"): it drops `securitySchemes` when given an
 * `AgentCard` object (a2a-js#663) and drops requirement entries with an empty scope list
 * (a2a-js#627), so neither would be covered by the signature.
 *
 * @example
 * const signed = await signAgentCard(card, key, `${publicUrl}/.well-known/jwks.json`);
 */
export async function signAgentCard(
  card: AgentCard,
  key: CardSigningKey,
  jwksUrl: string,
): Promise<AgentCard> {
  const payload = new TextEncoder().encode(canonicalCardPayload(card));

  const jws = await new FlattenedSign(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JOSE', jku: jwksUrl })
    .sign(key.privateKey);

  const signature: AgentCardSignature = {
    protected: jws.protected ?? '',
    signature: jws.signature,
    header: jws.header,
  };
  return { ...card, signatures: [...card.signatures, signature] };
}

/**
 * The §8.4.1 signing input as text: RFC 8785 of `AgentCard.toJSON(card)` minus `signatures`.
 * Exported for verifiers inside Warden (e.g. checking a card before it is served).
 */
export function canonicalCardPayload(card: AgentCard): string {
  const json = AgentCard.toJSON({ ...card, signatures: [] });

  const text = canonicalize(json);
  if (text === undefined) {
    // Only `undefined` or a function canonicalise to nothing; toJSON returns an object.
    throw new WardenError('ERR_AGENT_CARD_INVALID', 'the Agent Card has no JSON form to sign');
  }
  return text;
}
