import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';

/**
 * Who is calling, as established from a verified access token. This is the identity that task
 * ownership, policy, limits and audit see.
 */
export interface Principal {
  /** The token's issuer (`iss`). */
  readonly issuer: string;
  /** The calling agent: `client_id` (RFC 9068 §2.2), else `azp`, else `sub`. */
  readonly agent: string;
  /** The user on whose behalf the agent acts: `sub`, when it names someone other than the agent. */
  readonly user: string | undefined;
  /**
   * The RFC 8693 actor chain, outermost (current) actor first: `act.sub`, `act.act.sub`, ...
   * Empty when no one acts for anyone.
   */
  readonly actors: readonly string[];
  /** Granted scopes. */
  readonly scopes: ReadonlySet<string>;
  /** The token's `jti`, recorded instead of the token itself. */
  readonly tokenId: string | undefined;
  /** `exp`, seconds since the epoch. */
  readonly expiresAt: number;
}

/** Builds a principal from the claims of a token that has been fully verified. */
export function principalFromClaims(issuer: string, claims: JWTPayload): Principal {
  const agent = stringClaim(claims, 'client_id') ?? stringClaim(claims, 'azp') ?? claims.sub ?? '';
  const user = claims.sub !== undefined && claims.sub !== agent ? claims.sub : undefined;

  return {
    issuer,
    agent,
    user,
    actors: readActorChain(claims['act']),
    scopes: new Set(readScopes(claims)),
    tokenId: claims.jti,
    expiresAt: claims.exp ?? 0,
  };
}

/**
 * A stable key naming the owner of a task: issuer, agent and user together, so two agents acting
 * for the same user, or one agent acting for two users, never see each other's tasks (A2A §13.1).
 */
export function ownerKeyOf(principal: Principal): string {
  const identity = JSON.stringify([principal.issuer, principal.agent, principal.user ?? null]);
  // Hashed: a fixed 43 characters fits any store's key column and keeps identities out of it.
  return createHash('sha256').update(identity).digest('base64url');
}

function stringClaim(claims: JWTPayload, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function readScopes(claims: JWTPayload): string[] {
  const scope = claims['scope'] ?? claims['scp'];
  if (typeof scope === 'string') return scope.split(' ').filter((s) => s.length > 0);
  if (Array.isArray(scope)) return scope.filter((s): s is string => typeof s === 'string');
  return [];
}

// RFC 8693 §4.1: `act` nests, the outermost naming the current actor, each inner one a prior actor.
function readActorChain(act: unknown): string[] {
  const chain: string[] = [];
  let current = act;
  while (isActClaim(current)) {
    chain.push(current.sub);
    current = current.act;
  }
  return chain;
}

function isActClaim(value: unknown): value is { sub: string; act?: unknown } {
  return (
    typeof value === 'object' && value !== null && typeof Reflect.get(value, 'sub') === 'string'
  );
}
