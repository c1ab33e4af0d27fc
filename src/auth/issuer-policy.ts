import type { IssuerConfig } from '../config/load.js';
import { CLAIM_PRESETS, type ClaimMapping, type ClaimPreset } from './claims/presets.js';
import type { DelegationPolicy } from './claims/delegation.js';

/** How Warden checks one issuer's tokens: its configuration with the preset's defaults applied. */
export interface IssuerPolicy {
  readonly issuer: string;
  /** The `aud` every token must carry (RFC 8707: this agent). */
  readonly audience: string;
  readonly algorithms: readonly string[];
  readonly allowInsecureIssuer: boolean;
  /** Require the RFC 9068 `typ: at+jwt` header. */
  readonly requireAccessTokenType: boolean;
  readonly maxTokenAgeSec: number;
  readonly acceptsJwt: boolean;
  readonly acceptsOpaque: boolean;
  readonly claims: ClaimMapping;
  readonly preset: ClaimPreset;
  readonly delegation: DelegationPolicy;
  readonly requireDpop: boolean;
  readonly keys: IssuerConfig['keys'];
  readonly introspection: IssuerConfig['introspection'];
}

/**
 * Resolves an issuer's configuration into the policy the verifier applies: the preset supplies
 * the claim mapping and whether `typ: at+jwt` is required; explicit keys override it.
 */
export function resolveIssuerPolicy(config: IssuerConfig): IssuerPolicy {
  const preset = CLAIM_PRESETS[config.preset];
  const overrides = config.claims;

  return {
    issuer: config.issuer,
    audience: config.audience,
    algorithms: [...config.algorithms],
    allowInsecureIssuer: config.allowInsecureIssuer,
    requireAccessTokenType: config.requireAccessTokenType ?? preset.sendsAccessTokenType,
    maxTokenAgeSec: config.maxTokenAgeSec,
    acceptsJwt: config.tokenKinds.includes('jwt'),
    acceptsOpaque: config.tokenKinds.includes('opaque'),
    claims: {
      agent: overrides.agent ?? preset.claims.agent,
      scopes: overrides.scopes ?? preset.claims.scopes,
      roles: overrides.roles ?? preset.claims.roles,
      groups: overrides.groups ?? preset.claims.groups,
      tenant: overrides.tenant ?? preset.claims.tenant,
      tokenId: overrides.tokenId ?? preset.claims.tokenId,
    },
    preset,
    delegation: {
      maxDepth: config.delegation.maxDepth,
      allowedActors: config.delegation.allowedActors && new Set(config.delegation.allowedActors),
    },
    requireDpop: config.requireDpop,
    keys: config.keys,
    introspection: config.introspection,
  };
}
