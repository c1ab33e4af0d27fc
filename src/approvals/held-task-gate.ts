import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { principalOf } from '../auth/authenticate.js';
import { ownerKeyOf } from '../auth/principal.js';
import { jsonRpcIdOf, readSentMessage } from '../a2a/operation.js';
import { sendProtocolError, type A2aBinding } from '../http/protocol-error.js';
import { restorePrincipal } from './approval.js';
import type { ApprovalService } from './service.js';

/**
 * Refuses a message sent to the caller's own task while that task waits for an approval: the run
 * is paused inside the held call, and a second run on the same task would race it. The answer
 * (409, A2A `UnsupportedOperationError` -32004) says how to follow or withdraw. Another caller's
 * task id passes through, for the SDK to answer "task not found" exactly as for an unknown id.
 *
 * Known shortcoming: A2A §7.6.1 says agents SHOULD accept messages to an AUTH_REQUIRED task so a
 * client can negotiate or correct the request. Warden accepts only CancelTask, which withdraws
 * it; a correction means cancelling and sending a new message.
 */
export function refuseMessagesToHeldTasks(
  approvals: Pick<ApprovalService, 'waitingApproval'>,
  binding: A2aBinding,
): RequestHandler {
  return async function checkHeldTask(req: Request, res: Response, next: NextFunction) {
    const taskId = readSentMessage(req, binding)?.taskId;
    const principal = principalOf(req);
    if (!taskId || principal === undefined) return next();

    try {
      const waiting = await approvals.waitingApproval(taskId);
      const owner = waiting && ownerKeyOf(restorePrincipal(waiting.resume.principal));
      if (waiting === undefined || owner !== ownerKeyOf(principal)) return next();

      const message =
        `task ${taskId} waits for approval ${waiting.id} of ` +
        `${waiting.action.kind} "${waiting.action.name}";` +
        ' follow it with GetTask or SubscribeToTask, or withdraw it with CancelTask';
      const error = {
        status: 409,
        jsonRpcCode: -32004,
        rpcStatus: 'FAILED_PRECONDITION',
        reason: 'TASK_AWAITING_APPROVAL',
        message,
      };
      sendProtocolError(res, binding, error, jsonRpcIdOf(req));
    } catch (error) {
      next(error);
    }
  };
}
