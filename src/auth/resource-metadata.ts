import { Router } from 'express';

/** RFC 9728 §3: the well-known suffix of protected-resource metadata. */
const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** What the metadata document is generated from: configuration and the Agent Card source. */
export interface ResourceMetadataInput {
  /** The resource identifier: Warden's public URL (RFC 8707 `resource`, RFC 9728 `resource`). */
  readonly publicUrl: string;
  /** Issuer identifiers, in configuration order. */
  readonly authorizationServers: readonly string[];
  /** Every scope the card declares. */
  readonly scopes: readonly string[];
  /** The card's name. */
  readonly resourceName: string;
  readonly resourceDocumentation: string | undefined;
  readonly dpopAlgorithms: readonly string[];
  /** True when every issuer requires DPoP-bound tokens. */
  readonly dpopRequired: boolean;
}

/**
 * The URL of the metadata for `publicUrl`: RFC 9728 §3.1 inserts the well-known suffix between
 * the host and any path, so `https://a.example/agent` has its metadata at
 * `https://a.example/.well-known/oauth-protected-resource/agent`.
 */
export function resourceMetadataUrl(publicUrl: string): string {
  const url = new URL(publicUrl);
  return `${url.origin}${metadataPath(url)}`;
}

/** Builds the RFC 9728 §2 protected-resource metadata document. */
export function buildResourceMetadata(input: ResourceMetadataInput): Record<string, unknown> {
  return {
    resource: input.publicUrl,
    authorization_servers: [...input.authorizationServers],
    scopes_supported: [...input.scopes],
    // RFC 6750 §2.1 only: Warden refuses tokens in a form body or the query string.
    bearer_methods_supported: ['header'],
    resource_name: input.resourceName,
    ...(input.resourceDocumentation ? { resource_documentation: input.resourceDocumentation } : {}),
    dpop_signing_alg_values_supported: [...input.dpopAlgorithms],
    dpop_bound_access_tokens_required: input.dpopRequired,
  };
}

/** Serves the metadata document, public and cacheable, at its RFC 9728 path. */
export function resourceMetadataRoutes(input: ResourceMetadataInput): Router {
  const document = buildResourceMetadata(input);
  const router = Router();

  router.get(metadataPath(new URL(input.publicUrl)), (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(document);
  });
  return router;
}

function metadataPath(url: URL): string {
  const path = url.pathname.replace(/\/+$/, '');
  return `${WELL_KNOWN}${path}`;
}
