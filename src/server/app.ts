import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { AgentCard } from '@a2a-js/sdk';
import type { A2ARequestHandler } from '@a2a-js/sdk/server';
import { jsonRpcHandler, restHandler } from '@a2a-js/sdk/server/express';
import type { JWK } from 'jose';
import type { Logger } from '../log/logger.js';
import type { AuditTrail } from '../audit/event.js';
import type { WardenConfig } from '../config/load.js';
import type { LoadedAgent } from '../agent/loaded-agent.js';
import { authenticate, principalOf } from '../auth/authenticate.js';
import type { VerifyAccessToken } from '../auth/verify-token.js';
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

/** Everything the HTTP application is assembled from. */
export interface AppParts {
  config: WardenConfig;
  card: AgentCard;
  jwks: { keys: JWK[] };
  agent: LoadedAgent;
  requestHandler: A2ARequestHandler;
  verifyAccessToken: VerifyAccessToken;
  readiness: readonly ReadinessCheck[];
  audit: AuditTrail;
  logger: Logger;
}

/**
 * Assembles Warden's request pipeline. This is the one place to read it whole: public discovery
 * and health routes first, then for each A2A binding: authenticate (before the body is read),
 * parse the body within its limit, gate the skill on the card's scopes, then the SDK.
 */
export function createApp(parts: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');

  app.use(assignRequestId, logRequests(parts.logger));
  app.use(agentCardRoutes({ card: parts.card, jwks: parts.jwks }));
  app.use(healthRoutes(parts.readiness));

  app.use(JSONRPC_PATH, a2aPipeline(parts, 'jsonrpc'));
  app.use(REST_PATH, a2aPipeline(parts, 'rest'));

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
    authenticate({
      verifyAccessToken: parts.verifyAccessToken,
      maxAuthorizationHeaderBytes: config.server.maxAuthorizationHeaderBytes,
      binding,
      audit: parts.audit,
      logger,
    }),
    ...parseJsonBody(binding, config.server.bodyLimitBytes),
    gateSkills({ agent: parts.agent, binding, audit: parts.audit, logger }),
    binding === 'jsonrpc' ? jsonRpcHandler(sdkOptions) : restHandler(sdkOptions),
  ];
}

// Runs after `authenticate`, so the principal is always there; the check keeps it fail-closed.
async function buildUser(req: express.Request): Promise<WardenUser> {
  const principal = principalOf(req);
  if (principal === undefined) throw new Error('A2A request reached the SDK unauthenticated');
  return new WardenUser(principal);
}
