import { TaskState } from '@a2a-js/sdk';
import type { AgentExecutor, ExecutionEventBus, RequestContext } from '@a2a-js/sdk/server';
import { isWardenError, WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { AuditTrail } from '../audit/event.js';
import type { SkillDefinition, SkillResult } from '../agent/define.js';
import type { LoadedAgent } from '../agent/loaded-agent.js';
import { readSkillRequest } from '../agent/invocation.js';
import { validateSkillArgs } from '../agent/skill-args.js';
import { createToolCaller, type ToolGuard } from '../agent/tool-call.js';
import { allowAllSkills, type SkillGuard } from '../agent/skill-guard.js';
import type { CompletedToolCall } from '../agent/task-session.js';
import { createTaskSession } from '../approvals/task-session.js';
import type { ResumeOrder, TaskResumption } from '../approvals/resume.js';
import type { Principal } from '../auth/principal.js';
import { principalOfCall } from './user.js';
import {
  agentMessage,
  artifactEvent,
  dataPart,
  statusEvent,
  taskEvent,
  textPart,
} from './events.js';

/** Options for {@link createAgentExecutor}. */
export interface AgentExecutorOptions {
  agent: LoadedAgent;
  guard: ToolGuard;
  /** Records each tool call's outcome (`tool.completed`, `tool.failed`). */
  audit: AuditTrail;
  /** Decides each skill once its task exists; default: every skill the token's scopes allow. */
  skillGuard?: SkillGuard | undefined;
  /** Recognises Warden's own calls that resume a task held for approval after a restart. */
  resumption?: TaskResumption | undefined;
  logger: Logger;
}

/**
 * The SDK `AgentExecutor` that runs Warden skills. It opens a task, runs the skill the message
 * asks for with a guarded `callTool`, and ends the task completed with the skill's result as an
 * artifact, or failed with a message naming what went wrong (never a stack trace).
 */
export function createAgentExecutor(options: AgentExecutorOptions): AgentExecutor {
  const running = new Map<string, { abort: AbortController; rc: RequestContext }>();
  const log = options.logger.child({ module: 'executor' });

  async function execute(rc: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const resume = await options.resumption?.readResume(rc);
    if (resume?.kind === 'reject') return endResumed(rc, bus, resume.text);
    const request = resume
      ? resumedRequest(resume)
      : readSkillRequest(rc.userMessage, options.agent.skills);
    if (request.kind === 'unknown-skill' && resume) {
      return endResumed(rc, bus, `skill "${request.skillId}" no longer exists`);
    }
    if (request.kind !== 'skill') {
      bus.publish({ kind: 'message', data: agentMessage(rc, [textPart(options.agent.helpText)]) });
      bus.finished();
      return;
    }

    const abort = new AbortController();
    running.set(rc.taskId, { abort, rc });
    bus.publish(taskEvent(rc));
    bus.publish(statusEvent(rc, TaskState.TASK_STATE_WORKING));

    try {
      const replay = resume?.kind === 'run' ? resume.replay : undefined;
      const result = await runSkill(rc, request.skill, request.args, abort.signal, { bus, replay });
      if (abort.signal.aborted) return;
      bus.publish(artifactEvent(rc, request.skill.id, resultParts(result)));
      bus.publish(statusEvent(rc, TaskState.TASK_STATE_COMPLETED, result.text));
    } catch (error) {
      if (!abort.signal.aborted)
        bus.publish(statusEvent(rc, finalStateOf(error), failureText(error)));
    } finally {
      running.delete(rc.taskId);
      bus.finished();
    }
  }

  async function runSkill(
    rc: RequestContext,
    skill: SkillDefinition,
    rawArgs: unknown,
    signal: AbortSignal,
    run: { bus: ExecutionEventBus; replay: readonly CompletedToolCall[] | undefined },
  ) {
    const principal = principalOfCall(rc.context);
    assertScopes(options.agent, skill, principal);
    const args = validateSkillArgs(skill, rawArgs);
    const logger = log.child({ taskId: rc.taskId, skill: skill.id });
    const skillRun = { id: skill.id, args };
    const session = createTaskSession({ rc, ...run, skill: skillRun, signal });
    const ids = { principal, taskId: rc.taskId, contextId: rc.contextId };
    await (options.skillGuard ?? allowAllSkills).checkSkill({ skill, args, ...ids, session });

    const callTool = createToolCaller({
      tools: options.agent.tools,
      guard: options.guard,
      audit: options.audit,
      principal,
      taskId: rc.taskId,
      contextId: rc.contextId,
      signal,
      logger,
      session,
    });

    const context = {
      principal,
      taskId: rc.taskId,
      contextId: rc.contextId,
      message: rc.userMessage,
    };
    return skill.run(args, { ...context, logger, signal, callTool });
  }

  function failureText(error: unknown): string {
    if (isWardenError(error)) return error.publicMessage;

    log.error('skill failed', { error });
    return 'the skill failed; the operator has the details';
  }

  async function cancelTask(taskId: string, bus: ExecutionEventBus): Promise<void> {
    const entry = running.get(taskId);
    if (entry === undefined) return;

    entry.abort.abort(new WardenError('ERR_SKILL_FAILED', 'task canceled'));
    bus.publish(
      statusEvent(
        entry.rc,
        TaskState.TASK_STATE_CANCELED,
        "Task canceled at the caller's request.",
      ),
    );
  }

  function resumedRequest(resume: Extract<ResumeOrder, { kind: 'run' }>) {
    const skill = options.agent.skills.get(resume.skillId);
    return skill === undefined
      ? { kind: 'unknown-skill' as const, skillId: resume.skillId }
      : { kind: 'skill' as const, skill, args: resume.args };
  }

  return { execute, cancelTask };
}

// A held task that may not continue (its approval was denied or expired while no run waited).
function endResumed(rc: RequestContext, bus: ExecutionEventBus, text: string): void {
  bus.publish(taskEvent(rc));
  bus.publish(statusEvent(rc, TaskState.TASK_STATE_REJECTED, text));
  bus.finished();
}

// Policy said no, or a human did: the agent decided not to do the task (REJECTED), which is not a
// failure of the skill (FAILED).
function finalStateOf(error: unknown): TaskState {
  const refused =
    isWardenError(error, 'ERR_POLICY_DENIED') ||
    isWardenError(error, 'ERR_APPROVAL_DENIED') ||
    isWardenError(error, 'ERR_APPROVAL_EXPIRED');
  return refused ? TaskState.TASK_STATE_REJECTED : TaskState.TASK_STATE_FAILED;
}

// The skill gate already answered 403; checking again here keeps a skill from running on any path
// that reaches the executor without passing the gate.
function assertScopes(agent: LoadedAgent, skill: SkillDefinition, principal: Principal): void {
  const required = agent.requiredScopes.get(skill.id) ?? [];
  if (required.every((scope) => principal.scopes.has(scope))) return;

  throw new WardenError(
    'ERR_INSUFFICIENT_SCOPE',
    `skill "${skill.id}" requires scope "${required.join(' ')}"`,
  );
}

function resultParts(result: SkillResult) {
  return result.data === undefined
    ? [textPart(result.text)]
    : [textPart(result.text), dataPart(result.data)];
}
