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
import { allowAllTools, composeGuards } from '../agent/tool-call.js';
import { createResourceServer, type AuthStats } from '../auth/resource-server.js';
import { createAgentExecutor } from '../a2a/executor.js';
import { resolveOwner } from '../a2a/user.js';
import { loadCardSource } from '../card/source.js';
import { buildAgentCard } from '../card/build.js';
import { loadSigningKey } from '../card/signing-key.js';
import { signAgentCard } from '../card/sign.js';
import { JWKS_PATH } from '../card/routes.js';
import { openSqliteStore, type WardenStore } from '../store/sqlite.js';
import type { ReadinessCheck } from '../http/health.js';
import { resolveAuditConfig } from '../audit/config.js';
import { auditTaskStore } from '../audit/task-store.js';
import { openAuditTrail, type DurableAuditTrail } from '../audit/trail.js';
import type { AuditStreamOptions } from '../audit/stream.js';
import { createLimits } from '../limits/limits.js';
import { validateLimits } from '../limits/validate.js';
import { createPolicy, preparePolicy } from '../policy/setup.js';
import type { CacheStats } from '../policy/cache.js';
import { createApprovalService } from '../approvals/service.js';
import { createApprovalStore } from '../approvals/store.js';
import { createTaskResumer, createTaskResumption } from '../approvals/resume.js';
import { createApp } from './app.js';

/** What {@link createWarden} needs. */
export interface WardenOptions {
  config: WardenConfig;
  logger: Logger;
  /** The agent; by default the module named by `agent.module` is imported. */
  agent?: AgentDefinition;
  /** The clock for token checks; tests freeze it. */
  now?: () => Date;
  /** winston transports the audit stream is also sent to (syslog, Loki, Elasticsearch...). */
  auditTransports?: AuditStreamOptions['transports'];
}

/** A configured Warden, ready to listen. */
export interface Warden {
  readonly app: Express;
  readonly config: WardenConfig;
  /** Starts listening on `server.host:server.port`; resolves to the bound port. */
  listen(): Promise<number>;
  /** Stops accepting, lets in-flight requests finish (up to `shutdownGraceMs`), closes stores. */
  close(): Promise<void>;
  /** Verified-token cache counters and issuer key states, for metrics. */
  authStats(): AuthStats;
  /**
   * Reads the policy files again (SIGHUP in `warden serve`). A set that fails to load keeps the
   * previous one in force and resolves false; true without a `policy` section.
   */
  reloadPolicy(): Promise<boolean>;
  /** Decision cache hits and misses, for metrics; undefined without a `policy` section. */
  policyCacheStats(): CacheStats | undefined;
}

/**
 * Builds Warden from its configuration: discovers the trusted issuers, loads and signs the Agent
 * Card, pairs it with the agent's code, opens the store and assembles the HTTP pipeline. Any
 * failure throws before anything listens.
 */
export async function createWarden(options: WardenOptions): Promise<Warden> {
  const { config, logger } = options;
  const cardSource = loadCardSource(config.agentCard);
  const definition = options.agent ?? (await importAgent(config.agent.module));
  const agent = loadAgent(definition, cardSource);
  // Before anything is opened: a malformed policy never starts a half-configured server.
  const preparedPolicy = preparePolicy(config, definition, logger);
  validateLimits(config.limits, agent, config.source);
  const auth = await createResourceServer({
    config,
    card: cardSource,
    agent,
    logger,
    ...(options.now ? { now: options.now } : {}),
  });

  const signingKey = await loadSigningKey(config.cardSigning, logger);
  const jwksUrl = `${config.server.publicUrl}${JWKS_PATH}`;
  const cardInput = { publicUrl: config.server.publicUrl, ...auth.cardSecurity };
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
  const audit = await openAuditTrail({
    config: resolveAuditConfig(config),
    logger,
    transports: options.auditTransports,
  });
  const limits = await createLimits({ limits: config.limits, agent, audit, logger });
  const approvalStore = createApprovalStore(store.db);
  const approvals = createApprovalService({
    store: approvalStore,
    config: config.approvals,
    audit,
    logger,
    now: options.now,
  });
  const policy =
    preparedPolicy &&
    createPolicy(preparedPolicy, {
      resolvers: definition.resolvers ?? {},
      audit,
      logger,
      approvals,
      now: options.now,
    });
  // Budgets last: a call another guard refuses spends no budget.
  const guard = composeGuards(policy?.guard ?? allowAllTools, limits.budgetGuard);
  const resumption = createTaskResumption(approvalStore);
  const executor = createAgentExecutor({
    agent,
    guard,
    skillGuard: policy?.guard,
    resumption,
    audit,
    logger,
  });
  const requestHandler = new DefaultRequestHandler(
    card,
    // Audits task.created and task.state_changed: the SDK saves the task on every transition.
    auditTaskStore(store.tasks, audit, agent.skills),
    executor,
    new DefaultExecutionEventBusManager(resolveOwner),
    undefined,
    undefined,
    async () => extendedCard,
  );
  await approvals.start(createTaskResumer({ requestHandler, tasks: store.tasks, logger }));

  const app = createApp({
    config,
    card,
    jwks: { keys: [signingKey.publicJwk] },
    agent,
    requestHandler,
    auth,
    readiness: [...auth.readiness, storeCheck(store), ...limits.readiness, auditCheck(audit)],
    audit,
    limits,
    approvals,
    logger,
  });
  const stopApprovals = { close: async () => approvals.close() };
  const closeables = [stopApprovals, store, limits, auth, audit];
  return {
    ...listenable(app, config, closeables, logger),
    authStats: auth.stats,
    reloadPolicy: async () => (policy ? policy.reload() : true),
    policyCacheStats: () => policy?.engine.cacheStats(),
  };
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

function storeCheck(store: WardenStore): ReadinessCheck {
  return { name: 'store', check: () => store.isOpen() };
}

function auditCheck(audit: DurableAuditTrail): ReadinessCheck {
  return { name: 'audit', check: () => audit.isAvailable() };
}

function listenable(
  app: Express,
  config: WardenConfig,
  closeables: readonly { close(): Promise<void> }[],
  logger: Logger,
): Omit<Warden, 'authStats' | 'reloadPolicy' | 'policyCacheStats'> {
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
      for (const closeable of closeables) await closeable.close();
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
