import { createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { errors } from 'oidc-provider';

/**
 * DEVELOPMENT ONLY. A `subject_token_type` whose `subject_token` is a bare demo user name, standing
 * in for a user login the development IdP does not have. Anyone holding a client secret can name
 * any demo user; a real IdP would require an ID Token or a user's access token instead.
 */
export const DEV_USER_TOKEN_TYPE = 'urn:warden:params:oauth:token-type:dev-user';

/** RFC 8693 §3: the token type of an OAuth access token. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** RFC 8693 §4.1: the actor claim, nested once per delegation hop. */
export interface ActorClaim {
  sub: string;
  act?: ActorClaim;
}

/** Who a token exchange is on behalf of, and what the subject token already carried. */
export interface ExchangeSubject {
  sub: string;
  /** The subject token's own `act`, so the new token can nest it (RFC 8693 §4.1). */
  act?: ActorClaim;
  /** The subject token's `exp`, in epoch seconds: a delegated token must not outlive it. */
  expiresAt?: number;
}

/** What {@link resolveExchangeSubject} needs to know about this IdP. */
export interface SubjectTokenContext {
  issuer: string;
  signingAlg: string;
  publicJwk: JWK;
  users: ReadonlySet<string>;
}

/**
 * Resolves the subject of a token exchange from its `subject_token` and `subject_token_type`.
 *
 * @throws `invalid_grant` for an unknown user or a subject token this IdP did not issue, and
 *   `invalid_request` for a token type it does not accept.
 */
export async function resolveExchangeSubject(
  subjectToken: string,
  subjectTokenType: string,
  context: SubjectTokenContext,
): Promise<ExchangeSubject> {
  switch (subjectTokenType) {
    case DEV_USER_TOKEN_TYPE:
      return resolveDevUser(subjectToken, context.users);
    case ACCESS_TOKEN_TYPE:
      return resolveAccessToken(subjectToken, context);
    default:
      throw new errors.InvalidRequest('"subject_token_type" is not supported');
  }
}

function resolveDevUser(user: string, users: ReadonlySet<string>): ExchangeSubject {
  if (!users.has(user)) {
    throw new errors.CustomOIDCProviderError(
      'invalid_grant',
      '"subject_token" is not a known user',
    );
  }
  return { sub: user };
}

async function resolveAccessToken(
  token: string,
  context: SubjectTokenContext,
): Promise<ExchangeSubject> {
  const { sub, exp, act } = await verifyOwnAccessToken(token, context);
  if (typeof sub !== 'string' || (act !== undefined && !isActorClaim(act))) {
    throw new errors.CustomOIDCProviderError('invalid_grant', '"subject_token" is malformed');
  }

  return {
    sub,
    ...(act === undefined ? {} : { act }),
    ...(exp === undefined ? {} : { expiresAt: exp }),
  };
}

/**
 * Verifies signature, issuer, `typ` and `exp`, but not `aud`: any client holding a token this IdP
 * issued may exchange it, even one addressed to another resource. RFC 8693 §2.1 leaves that check
 * to the server's policy, and this IdP does not know which resource each client serves, so a
 * leaked token lets its holder act on the user's behalf elsewhere. A production server should map
 * clients to their resources and require the subject token's `aud` to be one of the caller's.
 */
async function verifyOwnAccessToken(token: string, context: SubjectTokenContext) {
  // The key set is this IdP's own, held in memory: a subject token from anywhere else fails here.
  const keySet = createLocalJWKSet({ keys: [context.publicJwk] });

  try {
    const { payload } = await jwtVerify<JWTPayload>(token, keySet, {
      issuer: context.issuer,
      typ: 'at+jwt',
      algorithms: [context.signingAlg],
      requiredClaims: ['sub', 'exp'],
    });
    return payload;
  } catch (cause) {
    throw new errors.CustomOIDCProviderError('invalid_grant', '"subject_token" is invalid', {
      cause,
    });
  }
}

function isActorClaim(value: unknown): value is ActorClaim {
  if (typeof value !== 'object' || value === null) {
    return false;
  }

  const { sub, act } = value as Record<string, unknown>;
  return typeof sub === 'string' && (act === undefined || isActorClaim(act));
}
