import * as oidc from 'openid-client';
import type { JWTPayload } from 'jose';
import { WardenError } from '../../errors.js';
import type { IssuerPolicy } from '../issuer-policy.js';

/** What {@link introspectAccessToken} needs besides the token. */
export interface IntrospectionCheck {
  readonly policy: IssuerPolicy;
  /** Warden's own client at the issuer (openid-client), authenticating with its secret. */
  readonly client: oidc.Configuration;
  readonly clockToleranceSec: number;
  readonly now: Date;
}

/**
 * Asks the issuer about an opaque access token (RFC 7662) with Warden's own client credentials,
 * through openid-client, and holds the answer to what RFC 9068 requires of a JWT access token, so
 * that both kinds mean the same: `active`, `iss` (when given) this issuer, `aud` naming this
 * agent (RFC 8707; an answer without `aud` is refused), `exp` in the future, `nbf` and `iat`
 * not in the future, the token no older than the issuer allows, and a bearer or DPoP
 * `token_type` (a refresh token is not an access token).
 *
 * @returns the answer as a claims set, `sub` defaulting to `client_id` for client-only tokens.
 * @throws WardenError `ERR_TOKEN_INACTIVE` for an inactive or unsuitable token,
 *   `ERR_TOKEN_INTROSPECTION` when the issuer cannot be asked.
 */
export async function introspectAccessToken(
  token: string,
  check: IntrospectionCheck,
): Promise<JWTPayload> {
  let answer: oidc.IntrospectionResponse;
  try {
    answer = await oidc.tokenIntrospection(check.client, token, {
      token_type_hint: 'access_token',
    });
  } catch (cause) {
    throw new WardenError('ERR_TOKEN_INTROSPECTION', 'token introspection failed', {
      cause,
      publicMessage: 'access token could not be introspected',
    });
  }

  if (answer.active !== true) throw inactive('the issuer reports it inactive');
  const claims = toClaims(answer);
  checkIntrospected(claims, check);
  return claims;
}

function toClaims(answer: oidc.IntrospectionResponse): JWTPayload {
  const claims: JWTPayload = { ...answer };
  if (claims.sub === undefined && typeof answer.client_id === 'string') {
    claims.sub = answer.client_id;
  }
  return claims;
}

function checkIntrospected(claims: JWTPayload, check: IntrospectionCheck): void {
  const { policy } = check;
  const now = Math.floor(check.now.getTime() / 1000);
  const tolerance = check.clockToleranceSec;

  if (claims.iss !== undefined && claims.iss !== policy.issuer) throw inactive('"iss" differs');
  if (!audienceIncludes(claims.aud, policy.audience)) {
    throw new WardenError('ERR_TOKEN_AUDIENCE', 'access token is for another audience');
  }
  if (typeof claims.exp !== 'number' || claims.exp <= now - tolerance) {
    throw new WardenError('ERR_TOKEN_EXPIRED', 'access token expired');
  }
  if (typeof claims.nbf === 'number' && claims.nbf > now + tolerance) {
    throw new WardenError('ERR_TOKEN_NOT_YET_VALID', 'access token is not yet valid');
  }
  checkIssuedAt(claims.iat, now, tolerance, policy.maxTokenAgeSec);

  const type = claims['token_type'];
  if (type !== undefined && !/^(bearer|dpop)$/i.test(String(type))) {
    throw inactive(`"token_type" is ${String(type)}`);
  }
}

function checkIssuedAt(iat: unknown, now: number, tolerance: number, maxAgeSec: number): void {
  if (typeof iat !== 'number') return;
  if (iat > now + tolerance) {
    throw new WardenError('ERR_TOKEN_NOT_YET_VALID', 'access token was issued in the future');
  }
  if (now - iat - tolerance > maxAgeSec) {
    throw new WardenError('ERR_TOKEN_EXPIRED', 'access token is older than this issuer allows');
  }
}

function audienceIncludes(aud: unknown, expected: string): boolean {
  return aud === expected || (Array.isArray(aud) && aud.includes(expected));
}

function inactive(detail: string): WardenError {
  return new WardenError('ERR_TOKEN_INACTIVE', `introspected token refused: ${detail}`, {
    publicMessage: 'access token is not active',
  });
}
