import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { Express } from 'express';
import { DefaultExecutionEventBusManager, DefaultRequestHandler } from '@a2a-js/sdk/server';
import type { Logger } from '../log/logger.js';
import type { WardenConfig } from '../config/load.js';
import { WardenError } from '../errors.js';
import type { AgentDefinition } from '../agent/define.js';
import { loadAgent } from '../agent/loaded-agent.js';
import { allowAllTools } from '../agent/tool-call.js';
import { discoverIssuers, type TrustedIssuers } from '../auth/issuers.js';
import { createTokenVerifier } from '../auth/verify-token.js';
import { createAgentExecutor } from '../a2a/executor.js';
import { resolveOwner } from '../a2a/user.js';
import { loadCardSource } from '../card/source.js';
import { buildAgentCard } from '../card/build.js';
import { loadSigningKey } from '../card/signing-key.js';
import { signAgentCard } from '../card/sign.js';
import { JWKS_PATH } from '../card/routes.js';
import { openSqliteStore, type WardenStore } from '../store/sqlite.js';
import type { ReadinessCheck } from '../http/health.js';
import { createLogAuditTrail } from '../audit/log-audit-trail.js';
import { createApp } from './app.js';

/** What {@link createWarden} needs. */
export interface WardenOptions {
  config: WardenConfig;
  logger: Logger;
  /** The agent; by default the module named by `agent.module` is imported. */
  agent?: AgentDefinition;
  /** The clock for token checks; tests freeze it. */
  now?: () => Date;
}

/** A configured Warden, ready to listen. */
export interface Warden {
  readonly app: Express;
  readonly config: WardenConfig;
  /** Starts listening on `server.host:server.port`; resolves to the bound port. */
  listen(): Promise<number>;
  /** Stops accepting, lets in-flight requests finish (up to `shutdownGraceMs`), closes stores. */
  close(): Promise<void>;
}

/**
 * Builds Warden from its configuration: discovers the trusted issuers, loads and signs the Agent
 * Card, pairs it with the agent's code, opens the store and assembles the HTTP pipeline. Any
 * failure throws before anything listens.
 */
export async function createWarden(options: WardenOptions): Promise<Warden> {
  const { config, logger } = options;
  const cardSource = loadCardSource(config.agentCard);
  const agent = loadAgent(options.agent ?? (await importAgent(config.agent.module)), cardSource);
  const issuers = await discoverIssuers(config, logger);
  await prefetchKeys(issuers, logger);

  const signingKey = await loadSigningKey(config.cardSigning, logger);
  const jwksUrl = `${config.server.publicUrl}${JWKS_PATH}`;
  const cardInput = { publicUrl: config.server.publicUrl, issuers: cardIssuers(issuers) };
  const card = await signAgentCard(
    buildAgentCard(cardSource, cardInput, { extended: false }),
    signingKey,
    jwksUrl,
  );
  const extendedCard = await signAgentCard(
    buildAgentCard(cardSource, cardInput, { extended: true }),
    signingKey,
    jwksUrl,
  );

  const store = await openSqliteStore(config.store.path);
  const audit = createLogAuditTrail(logger);
  const executor = createAgentExecutor({ agent, guard: allowAllTools, logger });
  const requestHandler = new DefaultRequestHandler(
    card,
    store.tasks,
    executor,
    new DefaultExecutionEventBusManager(resolveOwner),
    undefined,
    undefined,
    async () => extendedCard,
  );

  const app = createApp({
    config,
    card,
    jwks: { keys: [signingKey.publicJwk] },
    agent,
    requestHandler,
    verifyAccessToken: createTokenVerifier({
      issuers,
      clockToleranceSec: config.auth.clockToleranceSec,
      ...(options.now ? { now: options.now } : {}),
    }),
    readiness: readinessChecks(issuers, store),
    audit,
    logger,
  });
  return listenable(app, config, store, logger);
}

async function importAgent(modulePath: string): Promise<AgentDefinition> {
  let loaded: { default?: AgentDefinition };
  try {
    loaded = (await import(pathToFileURL(modulePath).href)) as { default?: AgentDefinition };
  } catch (cause) {
    throw new WardenError('ERR_CONFIG_INVALID', `agent.module: cannot import ${modulePath}`, {
      cause,
    });
  }
  if (loaded.default === undefined) {
    throw new WardenError(
      'ERR_CONFIG_INVALID',
      `agent.module: ${modulePath} has no default export`,
    );
  }
  return loaded.default;
}

function cardIssuers(issuers: TrustedIssuers) {
  return [...issuers.values()].map((issuer) => ({
    issuer: issuer.config.issuer,
    discoveryUrl: issuer.discoveryUrl,
    tokenEndpoint: issuer.metadata.token_endpoint ?? '',
  }));
}

// Loading keys at start means the first request does not pay for it, and /readyz can tell.
async function prefetchKeys(issuers: TrustedIssuers, logger: Logger): Promise<void> {
  for (const issuer of issuers.values()) {
    try {
      await issuer.keys.reload();
    } catch (error) {
      logger.warn('issuer keys not loaded', {
        code: 'WARDEN_JWKS_UNAVAILABLE',
        issuer: issuer.config.issuer,
        error,
      });
    }
  }
}

function readinessChecks(issuers: TrustedIssuers, store: WardenStore): ReadinessCheck[] {
  const keyChecks = [...issuers.values()].map((issuer) => ({
    name: `issuer ${issuer.config.issuer}`,
    check: () => issuer.keys.jwks() !== undefined,
  }));
  return [...keyChecks, { name: 'store', check: () => store.isOpen() }];
}

function listenable(
  app: Express,
  config: WardenConfig,
  store: WardenStore,
  logger: Logger,
): Warden {
  let server: Server | undefined;

  return {
    app,
    config,
    listen: () =>
      new Promise((resolve, reject) => {
        const listening = app.listen(config.server.port, config.server.host, (error?: Error) => {
          if (error) return reject(error);
          const { port } = listening.address() as AddressInfo;
          logger.info('listening', { url: config.server.publicUrl, port });
          resolve(port);
        });
        server = listening;
      }),
    async close() {
      await stopServer(server, config.server.shutdownGraceMs);
      await store.close();
    },
  };
}

async function stopServer(server: Server | undefined, graceMs: number): Promise<void> {
  if (server === undefined || !server.listening) return;

  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}
