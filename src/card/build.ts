import type { AgentCard, AgentSkill, SecurityRequirement, SecurityScheme } from '@a2a-js/sdk';
import { WardenError } from '../errors.js';
import type { CardSkillSource, CardSource } from './source.js';

/** Path of the JSON-RPC binding, relative to the public URL. */
export const JSONRPC_PATH = '/a2a/jsonrpc';

/** Path of the HTTP+JSON (REST) binding, relative to the public URL. */
export const REST_PATH = '/a2a/rest';

/** The A2A protocol version every interface declares. */
const PROTOCOL_VERSION = '1.0';

/** A trusted token issuer, as discovered from its metadata. */
export interface CardIssuer {
  /** The issuer identifier (`iss`). */
  issuer: string;
  /** Its OpenID Connect discovery document, e.g. `<issuer>/.well-known/openid-configuration`. */
  discoveryUrl: string;
  /** The `token_endpoint` from that document, where a peer runs the client-credentials grant. */
  tokenEndpoint: string;
  /** Its tokens must be DPoP-bound (RFC 9449): each of its requirements also names `dpop`. */
  requiresDpop?: boolean;
}

/** What Warden knows at start-up and the card source does not. */
export interface BuildCardInput {
  /** The URL peers reach Warden at, without a trailing slash, e.g. `https://agent.example.com`. */
  publicUrl: string;
  /** Trusted issuers, in configuration order; the first one's schemes get the plain names. */
  issuers: readonly CardIssuer[];
  /** Skills whose calls need a DPoP-bound token, whichever the issuer. */
  dpopSkills?: readonly string[];
}

/** The name of the HTTP `DPoP` scheme, declared when some call needs a DPoP-bound token. */
export const DPOP_SCHEME_NAME = 'dpop';

/** The names of the two security schemes declared for one issuer. */
export interface SecuritySchemeNames {
  openIdConnect: string;
  oauth2: string;
}

/**
 * The stable scheme names for the issuer at `index` (0-based, configuration order): `oidc` and
 * `oauth2` for the first, `oidc-2` and `oauth2-2` for the second, and so on. Stable names let a
 * peer cache requirements across restarts and let the request gate map a scheme to its issuer.
 */
export function securitySchemeNames(index: number): SecuritySchemeNames {
  const suffix = index === 0 ? '' : `-${index + 1}`;

  return { openIdConnect: `oidc${suffix}`, oauth2: `oauth2${suffix}` };
}

/**
 * Builds the A2A 1.0 Agent Card from its source. The public card (`extended: false`) leaves out
 * `extendedOnly` skills; the extended card, served only to authenticated callers, has them all.
 * Both declare `extendedAgentCard: true`, since Warden always serves one.
 *
 * Throws `ERR_AGENT_CARD_INVALID` when no issuer is given: a card without security schemes
 * tells peers no credentials are needed, and Warden never serves a call without them.
 */
export function buildAgentCard(
  source: CardSource,
  input: BuildCardInput,
  options: { extended: boolean },
): AgentCard {
  if (input.issuers.length === 0) {
    throw new WardenError(
      'ERR_AGENT_CARD_INVALID',
      'cannot build the Agent Card: no trusted issuer is configured (auth.issuers)',
    );
  }

  const skills = source.skills.filter((skill) => options.extended || !skill.extendedOnly);

  return {
    name: source.name,
    description: source.description,
    version: source.version,
    supportedInterfaces: buildInterfaces(input.publicUrl),
    provider: source.provider ? { ...source.provider } : undefined,
    documentationUrl: source.documentationUrl,
    iconUrl: source.iconUrl,
    capabilities: {
      streaming: source.capabilities.streaming,
      pushNotifications: source.capabilities.pushNotifications,
      extendedAgentCard: true,
      extensions: [],
    },
    securitySchemes: buildSecuritySchemes(input, source.scopes),
    securityRequirements: buildRequirements(input.issuers, [], false),
    defaultInputModes: [...source.defaultInputModes],
    defaultOutputModes: [...source.defaultOutputModes],
    skills: skills.map((skill) => buildSkill(skill, input)),
    signatures: [],
  };
}

function buildInterfaces(publicUrl: string): AgentCard['supportedInterfaces'] {
  const base = publicUrl.replace(/\/+$/, '');

  // JSON-RPC first: §8.3.1 makes the first entry the preferred one, and every SDK speaks it.
  return [
    {
      url: base + JSONRPC_PATH,
      protocolBinding: 'JSONRPC',
      protocolVersion: PROTOCOL_VERSION,
      tenant: '',
    },
    {
      url: base + REST_PATH,
      protocolBinding: 'HTTP+JSON',
      protocolVersion: PROTOCOL_VERSION,
      tenant: '',
    },
  ];
}

function buildSecuritySchemes(
  input: BuildCardInput,
  scopes: Readonly<Record<string, string>>,
): Record<string, SecurityScheme> {
  const schemes: Record<string, SecurityScheme> = {};

  input.issuers.forEach((issuer, index) => {
    const names = securitySchemeNames(index);
    schemes[names.openIdConnect] = openIdConnectScheme(issuer);
    schemes[names.oauth2] = oauth2Scheme(issuer, scopes);
  });

  const needsDpop = input.issuers.some((issuer) => issuer.requiresDpop === true);
  if (needsDpop || (input.dpopSkills ?? []).length > 0) schemes[DPOP_SCHEME_NAME] = dpopScheme();
  return schemes;
}

// RFC 9449 §7.1 registers `DPoP` as an HTTP authentication scheme; naming it alongside an OAuth
// scheme in one requirement (AND) says the token must be DPoP-bound and sent with a proof.
function dpopScheme(): SecurityScheme {
  const description = 'The access token must be DPoP-bound and sent with a DPoP proof (RFC 9449)';
  return {
    scheme: {
      $case: 'httpAuthSecurityScheme',
      value: { description, scheme: 'DPoP', bearerFormat: 'JWT' },
    },
  };
}

function openIdConnectScheme(issuer: CardIssuer): SecurityScheme {
  return {
    scheme: {
      $case: 'openIdConnectSecurityScheme',
      value: {
        description: `Access tokens issued by ${issuer.issuer}`,
        openIdConnectUrl: issuer.discoveryUrl,
      },
    },
  };
}

function oauth2Scheme(
  issuer: CardIssuer,
  scopes: Readonly<Record<string, string>>,
): SecurityScheme {
  const clientCredentials = {
    tokenUrl: issuer.tokenEndpoint,
    refreshUrl: '',
    scopes: { ...scopes },
  };

  // oauth2MetadataUrl stays empty: the issuer publishes OIDC discovery, named by the oidc scheme,
  // and an RFC 8414 document may not exist at the URL a guess would produce.
  return {
    scheme: {
      $case: 'oauth2SecurityScheme',
      value: {
        description: `Client credentials grant at ${issuer.issuer}`,
        flows: { flow: { $case: 'clientCredentials', value: clientCredentials } },
        oauth2MetadataUrl: '',
      },
    },
  };
}

/**
 * One alternative per scheme (OR), each needing every scope listed (AND). With no scopes this says
 * "any valid token from a trusted issuer".
 */
function buildRequirements(
  issuers: readonly CardIssuer[],
  scopes: readonly string[],
  skillNeedsDpop: boolean,
): SecurityRequirement[] {
  const requirements: SecurityRequirement[] = [];

  issuers.forEach((issuer, index) => {
    const names = securitySchemeNames(index);
    const dpop =
      skillNeedsDpop || issuer.requiresDpop === true ? { [DPOP_SCHEME_NAME]: { list: [] } } : {};
    requirements.push({ schemes: { [names.openIdConnect]: { list: [...scopes] }, ...dpop } });
    requirements.push({ schemes: { [names.oauth2]: { list: [...scopes] }, ...dpop } });
  });

  return requirements;
}

function buildSkill(skill: CardSkillSource, input: BuildCardInput): AgentSkill {
  const needsDpop = (input.dpopSkills ?? []).includes(skill.id);
  return {
    id: skill.id,
    name: skill.name,
    description: skill.description,
    tags: [...skill.tags],
    examples: [...skill.examples],
    inputModes: [...(skill.inputModes ?? [])],
    outputModes: [...(skill.outputModes ?? [])],
    securityRequirements: buildRequirements(input.issuers, skill.scopes, needsDpop),
  };
}
