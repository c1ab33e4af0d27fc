/**
 * Narrow type declarations for the parts of `oidc-provider` 9 that the development IdP uses.
 *
 * `oidc-provider` ships no types of its own. `@types/oidc-provider` would cover the whole API, but
 * Warden uses only this corner of it, so these declarations stay here, next to their one user. If
 * the project ever adds `@types/oidc-provider`, delete this file: both would declare the module.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** The client that authenticated at the endpoint, as the provider's Client model exposes it. */
  export interface ClientView {
    readonly clientId: string;
    /** Space-separated scopes the client may request, from its `scope` metadata. */
    readonly scope?: string;
  }

  /** `ctx.oidc`: the per-request state the provider assembles before a grant handler runs. */
  export interface OidcContext {
    readonly params: Readonly<Record<string, string | string[] | undefined>>;
    readonly client?: ClientView;
    entity(name: string, model: object): void;
  }

  /** The Koa context a grant handler receives: the client has already authenticated. */
  export interface GrantContext {
    readonly oidc: OidcContext & { readonly client: ClientView };
    body: unknown;
  }

  /** What `features.resourceIndicators.getResourceServerInfo` returns for a resource. */
  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenFormat?: 'opaque' | 'jwt';
    accessTokenTTL?: number;
    jwt?: { sign?: { alg?: string; kid?: string } };
  }

  export class ResourceServer {
    constructor(identifier: string, info: ResourceServerInfo);
    readonly scope: string;
    readonly audience?: string;
    identifier(): string;
  }

  /** Constructor input of the AccessToken model (only the fields the IdP sets). */
  export interface AccessTokenInit {
    client: ClientView;
    accountId: string;
    resourceServer: ResourceServer;
    scope?: string;
    gty?: string;
    expiresIn?: number;
    extra?: Record<string, unknown>;
  }

  export class AccessToken {
    constructor(init: AccessTokenInit);
    readonly expiration: number;
    readonly scope?: string;
    readonly extra?: Record<string, unknown>;
    save(): Promise<string>;
  }

  export type GrantTypeHandler = (ctx: GrantContext) => Promise<void>;

  export class Provider {
    constructor(issuer: string, configuration?: object);
    readonly issuer: string;
    readonly AccessToken: typeof AccessToken;
    readonly ResourceServer: typeof ResourceServer;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    registerGrantType(
      name: string,
      handler: GrantTypeHandler,
      parameters?: readonly string[],
      allowedDuplicateParameters?: readonly string[],
    ): void;
    on(event: 'server_error', listener: (ctx: unknown, error: Error) => void): this;
    on(
      event: 'grant.error',
      listener: (ctx: unknown, error: errors.OIDCProviderError) => void,
    ): this;
  }

  export default Provider;

  export namespace errors {
    class OIDCProviderError extends Error {
      readonly error: string;
      readonly error_description?: string;
      readonly error_detail?: string;
      readonly status: number;
    }
    class CustomOIDCProviderError extends OIDCProviderError {
      constructor(error: string, description: string, options?: { cause?: unknown });
    }
    class InvalidRequest extends OIDCProviderError {
      constructor(description: string);
    }
    class InvalidScope extends OIDCProviderError {
      constructor(description: string, scope?: string);
    }
    class InvalidTarget extends OIDCProviderError {
      constructor(description?: string);
    }
  }
}
