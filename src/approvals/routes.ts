import express, {
  Router,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { isWardenError, WardenError, type WardenErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { principalOf } from '../auth/authenticate.js';
import { sendInsufficientScope } from '../auth/challenge.js';
import { sendProtocolError } from '../http/protocol-error.js';
import type { ApprovalStatus } from './approval.js';
import type { ApprovalService } from './service.js';

/** The path the approvals API is mounted at. */
export const APPROVALS_PATH = '/approvals';

/** Options of {@link approvalRoutes}. */
export interface ApprovalRoutesOptions {
  readonly approvals: ApprovalService;
  /** Admits only callers with a valid access token (answers 401 with a challenge otherwise). */
  readonly authenticate: RequestHandler | readonly RequestHandler[];
  /** The scope every operator request needs, e.g. `warden.approvals`. */
  readonly operatorScope: string;
  readonly bodyLimitBytes: number;
  readonly logger: Logger;
}

const STATUSES = new Set<string>([
  'pending',
  'approved',
  'consumed',
  'denied',
  'expired',
  'canceled',
]);

/**
 * The operators' approvals API, answering in the HTTP+JSON binding's error shape:
 *
 * - `GET /approvals?status=pending&limit=50`: approvals, newest first (all statuses by default)
 * - `GET /approvals/{id}`: one approval, with the exact input and its hash
 * - `POST /approvals/{id}/approve` `{"inputHash"?, "reason"?}`; `POST /approvals/{id}/deny`
 *
 * Every request needs a token with the operator scope (403 `insufficient_scope`); deciding also
 * needs a role the policy named (403), by someone other than the requester (403). Unknown ids
 * answer 404, decided or expired ones 409.
 */
export function approvalRoutes(options: ApprovalRoutesOptions): Router {
  const router = Router();
  const log = options.logger.child({ module: 'approvals-api' });
  const json = express.json({ limit: options.bodyLimitBytes, type: () => true });

  router.use([options.authenticate].flat(), requireScope(options.operatorScope));
  router.get(
    '/',
    handle(log, async (req, res) => {
      const status = readStatus(req.query['status']);
      res.json({
        approvals: await options.approvals.list({ status, limit: readLimit(req.query['limit']) }),
      });
    }),
  );
  router.get(
    '/:id',
    handle(log, async (req, res) => {
      res.json({ approval: await options.approvals.get(String(req.params['id'])) });
    }),
  );
  for (const verdict of ['approve', 'deny'] as const) {
    router.post(
      `/:id/${verdict}`,
      json,
      handle(log, async (req, res) => {
        const body = readBody(req.body);
        const operator = principalOf(req);
        if (operator === undefined) throw new Error('approvals API reached unauthenticated');
        const approval = await options.approvals.decide(String(req.params['id']), operator, {
          verdict,
          ...body,
        });
        res.json({ approval });
      }),
    );
  }
  router.use(bodyErrors);
  return router;
}

function requireScope(scope: string): RequestHandler {
  return function checkOperatorScope(req: Request, res: Response, next: NextFunction) {
    if (principalOf(req)?.scopes.has(scope) === true) return next();
    sendInsufficientScope(res, 'rest', [scope]);
  };
}

type Handler = (req: Request, res: Response) => Promise<void>;

const HTTP_STATUS: Partial<Record<WardenErrorCode, [number, string]>> = {
  ERR_APPROVAL_NOT_FOUND: [404, 'NOT_FOUND'],
  ERR_APPROVAL_CONFLICT: [409, 'FAILED_PRECONDITION'],
  ERR_APPROVAL_FORBIDDEN: [403, 'PERMISSION_DENIED'],
  ERR_BODY_MALFORMED: [400, 'INVALID_ARGUMENT'],
};

function handle(log: Logger, handler: Handler): RequestHandler {
  return (req, res, next) => {
    handler(req, res).catch((error: unknown) => {
      const mapped = isWardenError(error) ? HTTP_STATUS[error.code] : undefined;
      if (mapped === undefined || !isWardenError(error)) return next(error);

      log.info('approval.refused', { code: error.code, reason: error.message });
      const [status, rpcStatus] = mapped;
      const reason = error.code.replace(/^ERR_/, '');
      sendProtocolError(res, 'rest', {
        status,
        jsonRpcCode: -32600,
        rpcStatus,
        reason,
        message: error.publicMessage,
      });
    });
  };
}

function readStatus(value: unknown): ApprovalStatus | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && STATUSES.has(value)) return value as ApprovalStatus;
  throw malformed(`"status" must be one of ${[...STATUSES].join(', ')}`);
}

function readLimit(value: unknown): number {
  if (value === undefined) return 100;
  const limit = Number(value);
  if (Number.isInteger(limit) && limit >= 1 && limit <= 1000) return limit;
  throw malformed('"limit" must be an integer from 1 to 1000');
}

function readBody(body: unknown): { inputHash?: string; reason?: string } {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const read = (name: string, max: number) => {
    const value = record[name];
    if (value === undefined) return undefined;
    if (typeof value === 'string' && value.length <= max) return value;
    throw malformed(`"${name}" must be a string of at most ${max} characters`);
  };
  const inputHash = read('inputHash', 128);
  const reason = read('reason', 500);
  return {
    ...(inputHash === undefined ? {} : { inputHash }),
    ...(reason === undefined ? {} : { reason }),
  };
}

function malformed(message: string): WardenError {
  return new WardenError('ERR_BODY_MALFORMED', message);
}

// express.json's own failures (malformed JSON, too large) answer in the same shape as the rest.
function bodyErrors(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  const status =
    typeof error === 'object' && error !== null ? Reflect.get(error, 'status') : undefined;
  if (typeof status !== 'number' || status < 400 || status >= 500) return next(error);

  const message = status === 413 ? 'request body is too large' : 'request body is not valid JSON';
  sendProtocolError(res, 'rest', {
    status,
    jsonRpcCode: -32700,
    rpcStatus: 'INVALID_ARGUMENT',
    reason: 'BODY_MALFORMED',
    message,
  });
}
