import { Role, TaskState, type Message } from '@a2a-js/sdk';
import {
  ServerCallContext,
  type A2ARequestHandler,
  type RequestContext,
  type TaskStore,
} from '@a2a-js/sdk/server';
import type { CompletedToolCall } from '../agent/task-session.js';
import { WardenUser } from '../a2a/user.js';
import { textPart } from '../a2a/events.js';
import type { Logger } from '../log/logger.js';
import { restorePrincipal, type Approval } from './approval.js';
import { rejectionText } from './notice.js';
import type { TaskResumer } from './service.js';
import type { ApprovalStore } from './store.js';

/**
 * Marks Warden's own resume call in the SDK's call context. Only code in this process can set
 * it: a remote caller's context is built by the SDK from the HTTP request.
 */
const RESUME_STATE_KEY = 'warden.resume';

/** What a resume call asks the executor to do. */
export type ResumeOrder =
  | {
      readonly kind: 'run';
      readonly skillId: string;
      readonly args: unknown;
      readonly replay: readonly CompletedToolCall[];
    }
  | { readonly kind: 'reject'; readonly text: string };

/** The executor's side of resumption: is this run a resume, and of what. */
export interface TaskResumption {
  readResume(rc: RequestContext): Promise<ResumeOrder | undefined>;
}

/** Reads resume orders from the approval store. */
export function createTaskResumption(store: ApprovalStore): TaskResumption {
  return {
    async readResume(rc) {
      const id = rc.context.state.get(RESUME_STATE_KEY);
      if (typeof id !== 'string') return undefined;

      const approval = await store.get(id);
      if (approval === undefined || approval.taskId !== rc.taskId) return undefined;
      if (approval.status !== 'approved') return { kind: 'reject', text: rejectionText(approval) };

      const { skill, completedCalls } = approval.resume;
      return { kind: 'run', skillId: skill.id, args: skill.args, replay: completedCalls };
    },
  };
}

/** What {@link createTaskResumer} needs. */
export interface TaskResumerOptions {
  readonly requestHandler: A2ARequestHandler;
  readonly tasks: TaskStore;
  readonly logger: Logger;
}

/**
 * Resumes a held task whose run is gone (Warden restarted while it waited) the way any follow-up
 * message would, through the SDK as the task's owner: the SDK loads the task, runs the executor
 * on the task's event bus and stores what it publishes. The executor, told so by the call
 * context, runs the skill again (approved) or ends the task rejected.
 */
export function createTaskResumer(options: TaskResumerOptions): TaskResumer {
  const log = options.logger.child({ module: 'approvals' });

  return {
    async isWaiting(approval) {
      const task = await options.tasks.load(approval.taskId, ownerContext(approval));
      return task?.status?.state === TaskState.TASK_STATE_AUTH_REQUIRED;
    },
    async resume(approval) {
      log.info('approval.resuming', {
        approvalId: approval.id,
        taskId: approval.taskId,
        status: approval.status,
      });
      const configuration = {
        acceptedOutputModes: [],
        taskPushNotificationConfig: undefined,
        returnImmediately: true,
      };
      const request = { tenant: '', message: resumeMessage(approval), configuration, metadata: {} };
      await options.requestHandler.sendMessage(request, ownerContext(approval));
    },
  };
}

function ownerContext(approval: Approval): ServerCallContext {
  const user = new WardenUser(restorePrincipal(approval.resume.principal));
  const state = new Map<string, unknown>([[RESUME_STATE_KEY, approval.id]]);
  return new ServerCallContext({ user, state, requestedVersion: '1.0' });
}

// The task's history shows why it moved on.
function resumeMessage(approval: Approval): Message {
  const text =
    approval.status === 'approved'
      ? `Approved by ${approval.decision?.approver ?? 'an operator'}; resuming.`
      : rejectionText(approval);
  return {
    messageId: crypto.randomUUID(),
    contextId: approval.contextId,
    taskId: approval.taskId,
    role: Role.ROLE_AGENT,
    parts: [textPart(text)],
    metadata: {},
    extensions: [],
    referenceTaskIds: [],
  };
}
