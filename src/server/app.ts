import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { AgentCard } from '@a2a-js/sdk';
import type { A2ARequestHandler } from '@a2a-js/sdk/server';
import { jsonRpcHandler, restHandler } from '@a2a-js/sdk/server/express';
import type { JWK } from 'jose';
import type { Logger } from '../log/logger.js';
import type { AuditTrail } from '../audit/event.js';
import { refuseWithoutAudit } from '../audit/fail-closed.js';
import { metricsRoute } from '../metrics/route.js';
import type { WardenConfig } from '../config/load.js';
import type { LoadedAgent } from '../agent/loaded-agent.js';
import { principalOf } from '../auth/authenticate.js';
import type { ResourceServer } from '../auth/resource-server.js';
import { gateSkills } from '../a2a/skill-gate.js';
import { WardenUser } from '../a2a/user.js';
import { agentCardRoutes } from '../card/routes.js';
import { JSONRPC_PATH, REST_PATH } from '../card/build.js';
import { assignRequestId } from '../http/request-id.js';
import { logRequests } from '../http/access-log.js';
import { parseJsonBody } from '../http/json-body.js';
import { healthRoutes, type ReadinessCheck } from '../http/health.js';
import { internalError, notFound } from '../http/fallbacks.js';
import type { A2aBinding } from '../http/protocol-error.js';
import type { Limits } from '../limits/limits.js';
import { APPROVALS_PATH, approvalRoutes } from '../approvals/routes.js';
import { refuseMessagesToHeldTasks } from '../approvals/held-task-gate.js';
import type { ApprovalService } from '../approvals/service.js';

/** Everything the HTTP application is assembled from. */
export interface AppParts {
  config: WardenConfig;
  card: AgentCard;
  jwks: { keys: JWK[] };
  agent: LoadedAgent;
  requestHandler: A2ARequestHandler;
  /** Token verification, DPoP and the RFC 9728 metadata (`src/auth`). */
  auth: ResourceServer;
  readiness: readonly ReadinessCheck[];
  audit: AuditTrail;
  limits: Limits;
  /** Calls held for a human approval; the operators' `/approvals` API decides them. */
  approvals: ApprovalService;
  logger: Logger;
}

/**
 * Assembles Warden's request pipeline. This is the one place to read it whole: for each A2A
 * binding, refuse (503) while the audit trail cannot be written, limit unauthenticated traffic by
 * address, authenticate (before the body is read), parse the body within its limit, limit the
 * caller's rate, gate the skill on the card's scopes, then the SDK; then the public discovery,
 * health, metrics and approvals routes.
 */
export function createApp(parts: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  // `req.ip` is the client only if the proxies in front are named; the address limit keys on it.
  if (parts.config.server.trustProxy !== undefined) {
    app.set('trust proxy', parts.config.server.trustProxy);
  }

  app.use(assignRequestId, logRequests(parts.logger));
  // The A2A routes first: they take nearly all the traffic, and none of the routers below serves
  // their paths, so an A2A request skips matching against every one of them.
  app.use(JSONRPC_PATH, a2aPipeline(parts, 'jsonrpc'));
  app.use(REST_PATH, a2aPipeline(parts, 'rest'));
  // Public documents are unauthenticated traffic: limited per address like failed tokens.
  app.use('/.well-known', parts.limits.limitUnauthenticated('rest'));
  app.use(agentCardRoutes({ card: parts.card, jwks: parts.jwks }));
  app.use(parts.auth.routes);
  app.use(healthRoutes(parts.readiness));
  app.use(
    metricsRoute({
      metrics: parts.config.metrics,
      host: parts.config.server.host,
      authStats: () => parts.auth.stats(),
      pendingApprovals: async () => countPending(parts.approvals),
      logger: parts.logger,
    }),
  );

  app.use(APPROVALS_PATH, approvalsPipeline(parts));

  app.use(notFound);
  app.use(internalError(parts.logger));
  return app;
}

function a2aPipeline(
  parts: AppParts,
  binding: A2aBinding,
): (RequestHandler | ErrorRequestHandler)[] {
  const { config, logger } = parts;
  const sdkOptions = { requestHandler: parts.requestHandler, userBuilder: buildUser };

  return [
    // Fail closed: no action without its audit entry (503 while the trail cannot be written).
    refuseWithoutAudit(parts.audit, binding, logger),
    parts.limits.limitUnauthenticated(binding),
    parts.auth.authenticate(binding, parts.audit),
    parts.limits.forgiveAuthenticated,
    ...parseJsonBody(binding, config.server.bodyLimitBytes),
    parts.auth.requireDpopForSkills(binding, parts.audit),
    // Before the skill gate, so refused scopes and unknown skills are counted too.
    parts.limits.limitRequests(binding),
    // A task paused for an approval takes no second message while its run waits.
    refuseMessagesToHeldTasks(parts.approvals, binding),
    gateSkills({ agent: parts.agent, binding, audit: parts.audit, logger }),
    binding === 'jsonrpc' ? jsonRpcHandler(sdkOptions) : restHandler(sdkOptions),
  ];
}

// Operators list and decide held calls: a token with the operator scope, and for a decision the
// role the policy named (`src/approvals/routes.ts`).
function approvalsPipeline(parts: AppParts): (RequestHandler | ErrorRequestHandler)[] {
  const routes = approvalRoutes({
    approvals: parts.approvals,
    authenticate: [parts.auth.authenticate('rest', parts.audit), parts.limits.forgiveAuthenticated],
    operatorScope: parts.config.approvals.operatorScope,
    bodyLimitBytes: parts.config.server.bodyLimitBytes,
    logger: parts.logger,
  });
  return [
    refuseWithoutAudit(parts.audit, 'rest', parts.logger),
    parts.limits.limitUnauthenticated('rest'),
    routes,
  ];
}

// Runs after `authenticate`, so the principal is always there; the check keeps it fail-closed.
async function buildUser(req: express.Request): Promise<WardenUser> {
  const principal = principalOf(req);
  if (principal === undefined) throw new Error('A2A request reached the SDK unauthenticated');
  return new WardenUser(principal);
}

// Bounded: a scrape never reads more than this many rows; the gauge then reads "at least".
const PENDING_SCRAPE_LIMIT = 10_000;

async function countPending(approvals: ApprovalService): Promise<number> {
  const pending = await approvals.list({ status: 'pending', limit: PENDING_SCRAPE_LIMIT });
  return pending.length;
}
