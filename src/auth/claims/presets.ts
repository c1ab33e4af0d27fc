import type { JWTPayload } from 'jose';

/**
 * Where one IdP's access tokens keep what Warden needs. Each list is tried in order (agent, token
 * id: first present wins) or merged (scopes, roles, groups). A path may be a claim name or a dotted
 * path into nested objects; a claim whose name itself contains dots (Auth0's namespaced claims,
 * `https://example.com/roles`) is found by its whole name first.
 */
export interface ClaimMapping {
  readonly agent: readonly string[];
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly groups: readonly string[];
  readonly tenant: string | undefined;
  readonly tokenId: readonly string[];
}

/** A ready mapping for one IdP's token shape. */
export interface ClaimPreset {
  readonly claims: ClaimMapping;
  /** Whether the IdP sends RFC 9068 `typ: at+jwt`, so Warden can require it by default. */
  readonly sendsAccessTokenType: boolean;
  /**
   * Whether `sub` names the client itself (a client-credentials token) rather than a user. Each
   * IdP says so differently; a wrong answer would invent a user, or hide one.
   */
  isClientSubject(claims: JWTPayload, agent: string): boolean;
}

const sameAsAgent = (claims: JWTPayload, agent: string) => claims.sub === agent;

/**
 * RFC 9068 §2.2: `client_id`, `scope`, and `sub` equal to the client when no user is involved;
 * §2.2.3.1 names `roles` and `groups`. The dev IdP issues this shape.
 */
const rfc9068: ClaimPreset = {
  claims: {
    agent: ['client_id'],
    scopes: ['scope'],
    roles: ['roles'],
    groups: ['groups'],
    tenant: undefined,
    tokenId: ['jti'],
  },
  sendsAccessTokenType: true,
  isClientSubject: sameAsAgent,
};

/** Okta custom authorization servers: `cid`, `scp` (array), `sub` = client id for app tokens. */
const okta: ClaimPreset = {
  claims: {
    agent: ['cid'],
    scopes: ['scp'],
    roles: [],
    groups: ['groups'],
    tenant: undefined,
    tokenId: ['jti'],
  },
  sendsAccessTokenType: false,
  isClientSubject: sameAsAgent,
};

/**
 * Microsoft Entra ID v2 tokens: `azp` (v1: `appid`), `scp` (space-separated, delegated) and
 * `roles` (app roles), tenant `tid`, token id `uti` (there is no `jti`). An app-only token has
 * `idtyp: app` when that optional claim is on, and otherwise no `scp` and `sub` equal to `oid`.
 */
const entra: ClaimPreset = {
  claims: {
    agent: ['azp', 'appid'],
    scopes: ['scp'],
    roles: ['roles'],
    groups: ['groups'],
    tenant: 'tid',
    tokenId: ['uti'],
  },
  sendsAccessTokenType: false,
  isClientSubject: (claims) =>
    claims['idtyp'] === 'app' || (claims['scp'] === undefined && claims.sub === claims['oid']),
};

/**
 * Keycloak: `azp` (and `client_id` on client-credentials tokens), `scope`, realm roles under
 * `realm_access.roles`; a client's service account is a user named `service-account-<client>`.
 */
const keycloak: ClaimPreset = {
  claims: {
    agent: ['client_id', 'azp'],
    scopes: ['scope'],
    roles: ['realm_access.roles'],
    groups: ['groups'],
    tenant: undefined,
    tokenId: ['jti'],
  },
  sendsAccessTokenType: false,
  isClientSubject: (claims, agent) =>
    claims.sub === agent || claims['preferred_username'] === `service-account-${agent}`,
};

/**
 * Auth0: `azp` (`client_id` in its RFC 9068 profile), `scope` and, with RBAC, `permissions`;
 * organisation `org_id`; a client-credentials token's `sub` is `<client id>@clients`. Roles are
 * custom namespaced claims, so map them with `claims.roles`.
 */
const auth0: ClaimPreset = {
  claims: {
    agent: ['client_id', 'azp'],
    scopes: ['scope', 'permissions'],
    roles: [],
    groups: [],
    tenant: 'org_id',
    tokenId: ['jti'],
  },
  sendsAccessTokenType: false,
  isClientSubject: (claims, agent) => claims.sub === agent || claims.sub === `${agent}@clients`,
};

/** The shipped presets, by the name `auth.issuers[].preset` takes. */
export const CLAIM_PRESETS = { rfc9068, okta, entra, keycloak, auth0 } as const;

/** A preset's name. */
export type ClaimPresetName = keyof typeof CLAIM_PRESETS;
