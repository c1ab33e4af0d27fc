import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { WardenError } from '../errors.js';
import { readActorChain } from './claims/delegation.js';
import { readFirstString, readScopes, readValues } from './claims/read.js';
import { CLAIM_PRESETS } from './claims/presets.js';
import type { IssuerPolicy } from './issuer-policy.js';

/**
 * Who is calling, as established from a verified access token. This is the identity that task
 * ownership, policy, limits and audit see.
 */
export interface Principal {
  /** The token's issuer (`iss`). */
  readonly issuer: string;
  /** The calling agent: the client named by the issuer's agent claim (RFC 9068 `client_id`). */
  readonly agent: string;
  /** The user on whose behalf the agent acts: `sub`, unless `sub` names the client itself. */
  readonly user: string | undefined;
  /**
   * The RFC 8693 actor chain, outermost (current) actor first: `act.sub`, `act.act.sub`, ...
   * Empty when no one acts for anyone.
   */
  readonly actors: readonly string[];
  /** How many actors stand between the user and this call: `actors.length`. */
  readonly delegationDepth: number;
  /** Granted scopes. */
  readonly scopes: ReadonlySet<string>;
  /** Roles, from the issuer's role claims (e.g. `realm_access.roles`). */
  readonly roles: ReadonlySet<string>;
  /** Groups, from the issuer's group claims. */
  readonly groups: ReadonlySet<string>;
  /** The tenant or organisation, from the issuer's tenant claim (e.g. Entra `tid`). */
  readonly tenant: string | undefined;
  /** The token's `jti` (or the issuer's equivalent), recorded instead of the token itself. */
  readonly tokenId: string | undefined;
  /** `exp`, seconds since the epoch. */
  readonly expiresAt: number;
  /** `jwt` when verified locally, `opaque` when introspected (RFC 7662). */
  readonly tokenKind: 'jwt' | 'opaque';
  /**
   * The RFC 7638 thumbprint of the key the token is bound to (`cnf.jkt`, RFC 9449), when it is
   * DPoP-bound; such a token is only ever accepted with a valid proof signed by that key.
   */
  readonly dpopKeyThumbprint: string | undefined;
}

/** What of an issuer's policy shapes its principals. */
export type PrincipalPolicy = Pick<IssuerPolicy, 'issuer' | 'claims' | 'preset' | 'delegation'>;

/** The RFC 9068 mapping with delegation up to 10 deep: for tests and tools, not for requests. */
export function defaultPrincipalPolicy(issuer: string): PrincipalPolicy {
  const preset = CLAIM_PRESETS.rfc9068;
  const delegation = { maxDepth: 10, allowedActors: undefined };
  return { issuer, claims: preset.claims, preset, delegation };
}

/**
 * Builds a principal from the claims of a token that has been fully verified, through the issuer's
 * claim mapping, and enforces its delegation policy.
 *
 * @throws WardenError `ERR_TOKEN_CLAIMS` when `sub` or the agent claim is missing,
 *   `ERR_TOKEN_DELEGATION` when the actor chain breaks the issuer's policy.
 */
export function principalFromClaims(
  policy: PrincipalPolicy,
  claims: JWTPayload,
  tokenKind: Principal['tokenKind'] = 'jwt',
): Principal {
  const sub = requireString(claims.sub, 'sub');
  const agent = requireString(readFirstString(claims, policy.claims.agent), policy.claims.agent[0]);
  const actors = readActorChain(claims, policy.issuer, policy.delegation);

  return {
    issuer: policy.issuer,
    agent,
    user: policy.preset.isClientSubject(claims, agent) ? undefined : sub,
    actors,
    delegationDepth: actors.length,
    scopes: readScopes(claims, policy.claims.scopes),
    roles: readValues(claims, policy.claims.roles),
    groups: readValues(claims, policy.claims.groups),
    tenant: policy.claims.tenant && readFirstString(claims, [policy.claims.tenant]),
    tokenId: readFirstString(claims, policy.claims.tokenId),
    expiresAt: claims.exp ?? 0,
    tokenKind,
    dpopKeyThumbprint: readJkt(claims),
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

function requireString(value: unknown, claim = 'client_id'): string {
  if (typeof value === 'string' && value.length > 0) return value;
  throw new WardenError('ERR_TOKEN_CLAIMS', `access token claim "${claim}" is missing`);
}

// RFC 9449 §6.1: `cnf.jkt`. Any other confirmation method (mTLS `x5t#S256`) cannot be checked
// here, and a token bound to something Warden cannot check must not pass as a bearer token.
function readJkt(claims: JWTPayload): string | undefined {
  const cnf = claims['cnf'];
  if (cnf === undefined) return undefined;

  const jkt = typeof cnf === 'object' && cnf !== null ? Reflect.get(cnf, 'jkt') : undefined;
  const methods = typeof cnf === 'object' && cnf !== null ? Object.keys(cnf) : [];
  if (typeof jkt !== 'string' || methods.length !== 1) {
    throw new WardenError('ERR_TOKEN_CLAIMS', 'access token claim "cnf" is not a DPoP key binding');
  }
  return jkt;
}
