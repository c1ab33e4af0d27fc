import { AgentCard } from '@a2a-js/sdk';

import { PeerError } from './peer-error.js';

/** What a peer learns from Warden's public Agent Card before it can call a skill. */
export interface CardAuthorization {
  /** The card, parsed into the SDK's shape, ready for `ClientFactory.createFromAgentCard`. */
  card: AgentCard;
  /** Name of the card's first OpenID Connect security scheme, e.g. `oidc`. */
  schemeName: string;
  /** That scheme's `openIdConnectUrl`. */
  discoveryUrl: string;
  /** The issuer: the discovery URL without `/.well-known/openid-configuration`. */
  issuer: string;
}

const DISCOVERY_SUFFIX = '/.well-known/openid-configuration';

/** A2A §8.2: the public card sits at the well-known path (RFC 8615) of the agent's origin. */
const AGENT_CARD_PATH = '/.well-known/agent-card.json';

/**
 * Fetches the public Agent Card at `<baseUrl>/.well-known/agent-card.json` and finds the OpenID
 * Connect security scheme tokens must come from.
 */
export async function readAgentCard(baseUrl: string): Promise<CardAuthorization> {
  const url = new URL(AGENT_CARD_PATH, baseUrl);
  const response = await fetch(url, { headers: { accept: 'application/json' } }).catch(
    (error: unknown) => {
      throw new PeerError(`cannot reach ${url.href}: ${networkReason(error)}`);
    },
  );
  if (!response.ok) {
    throw new PeerError(`GET ${url.href}: ${response.status} ${response.statusText}`);
  }

  // The card is ProtoJSON; fromJSON turns its oneofs into the SDK's `$case` unions.
  const card = AgentCard.fromJSON(await response.json());

  return { card, ...findOpenIdConnectScheme(card) };
}

/**
 * The scopes `skillId` requires under `schemeName`, as the skill's `securityRequirements` in the
 * card declare them. Throws when the public card does not list the skill (it may be offered only
 * in the extended card): the caller then has to name the scopes itself.
 */
export function skillScopes(card: AgentCard, skillId: string, schemeName: string): string[] {
  const skill = card.skills.find((candidate) => candidate.id === skillId);
  if (skill === undefined) {
    const known = card.skills.map((candidate) => candidate.id).join(', ');
    throw new PeerError(
      `skill "${skillId}" is not in the public Agent Card (it lists: ${known}); pass --scope`,
    );
  }

  const requirement = skill.securityRequirements.find((r) => r.schemes[schemeName] !== undefined);

  return requirement?.schemes[schemeName]?.list ?? [];
}

function findOpenIdConnectScheme(card: AgentCard): Omit<CardAuthorization, 'card'> {
  for (const [schemeName, scheme] of Object.entries(card.securitySchemes)) {
    if (scheme.scheme?.$case !== 'openIdConnectSecurityScheme') continue;

    const discoveryUrl = scheme.scheme.value.openIdConnectUrl;
    if (!discoveryUrl.endsWith(DISCOVERY_SUFFIX)) {
      throw new PeerError(`security scheme "${schemeName}": unexpected openIdConnectUrl`);
    }
    return { schemeName, discoveryUrl, issuer: discoveryUrl.slice(0, -DISCOVERY_SUFFIX.length) };
  }

  throw new PeerError('the Agent Card declares no openIdConnectSecurityScheme');
}

/** undici's `fetch failed` hides the reason (`ECONNREFUSED`, `bad port`) in its `cause`. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    return 'code' in cause ? String(cause.code) : cause.message;
  }

  return error instanceof Error ? error.message : String(error);
}
