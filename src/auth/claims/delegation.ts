import type { JWTPayload } from 'jose';
import { WardenError } from '../../errors.js';
import { isRecord } from './read.js';

/** What one issuer allows of RFC 8693 delegation. */
export interface DelegationPolicy {
  /** The longest actor chain accepted; 0 refuses any token with `act`. */
  readonly maxDepth: number;
  /** When set, every actor in the chain must be one of these. */
  readonly allowedActors: ReadonlySet<string> | undefined;
}

interface Actor {
  readonly sub: string;
  readonly iss: string;
  readonly act: unknown;
}

/**
 * Reads the RFC 8693 §4.1 actor chain, current actor first (`act.sub`, `act.act.sub`, ...), and
 * enforces the issuer's policy: the chain is no deeper than `maxDepth`, every actor is allowed, and
 * when the token carries `may_act` (§4.4) the current actor is the party it names.
 *
 * A malformed `act` is refused rather than cut short: reading `{sub: a, act: {oops: 1}}` as `[a]`
 * would hide an actor from policy and audit.
 *
 * @throws WardenError `ERR_TOKEN_DELEGATION`
 */
export function readActorChain(
  claims: JWTPayload,
  issuer: string,
  policy: DelegationPolicy,
): string[] {
  const chain: Actor[] = [];
  let act = claims['act'];

  while (act !== undefined) {
    if (chain.length >= policy.maxDepth) {
      throw refused(`actor chain is deeper than ${policy.maxDepth}`, 'is too deep');
    }
    const actor = parseActor(act, issuer);
    if (policy.allowedActors !== undefined && !policy.allowedActors.has(actor.sub)) {
      throw refused(`actor "${actor.sub}" is not allowed`, 'names an actor that is not allowed');
    }
    chain.push(actor);
    act = actor.act;
  }

  checkMayAct(claims['may_act'], chain[0], issuer);
  return chain.map((actor) => actor.sub);
}

function parseActor(value: unknown, issuer: string): Actor {
  if (!isRecord(value) || typeof value['sub'] !== 'string' || value['sub'].length === 0) {
    throw refused('"act" is not an object with a string "sub"', 'is malformed');
  }

  // RFC 8693 §4.1: `iss` qualifies `sub`. An actor named by another issuer is a different party
  // that merely shares a name with one this issuer knows, so it is refused, not matched.
  const iss = value['iss'] ?? issuer;
  if (iss !== issuer) throw refused('actor from another issuer', 'names a foreign actor');

  return { sub: value['sub'], iss, act: value['act'] };
}

function checkMayAct(mayAct: unknown, current: Actor | undefined, issuer: string): void {
  if (mayAct === undefined || current === undefined) return;

  if (!isRecord(mayAct) || typeof mayAct['sub'] !== 'string') {
    throw refused('"may_act" is not an object with a string "sub"', 'is malformed');
  }
  const allowedIssuer = mayAct['iss'] ?? issuer;
  if (mayAct['sub'] !== current.sub || allowedIssuer !== current.iss) {
    throw refused(`actor "${current.sub}" is not the one "may_act" names`, 'is not permitted');
  }
}

function refused(detail: string, publicReason: string): WardenError {
  return new WardenError('ERR_TOKEN_DELEGATION', `access token delegation refused: ${detail}`, {
    publicMessage: `access token delegation chain ${publicReason}`,
  });
}
