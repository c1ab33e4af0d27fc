import { TaskState } from '@a2a-js/sdk';
import type { AgentExecutor, ExecutionEventBus, RequestContext } from '@a2a-js/sdk/server';
import { isWardenError, WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { SkillDefinition, SkillResult } from '../agent/define.js';
import type { LoadedAgent } from '../agent/loaded-agent.js';
import { readSkillRequest } from '../agent/invocation.js';
import { validateSkillArgs } from '../agent/skill-args.js';
import { createToolCaller, type ToolGuard } from '../agent/tool-call.js';
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
    const request = readSkillRequest(rc.userMessage, options.agent.skills);
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
      const result = await runSkill(rc, request.skill, request.args, abort.signal);
      if (abort.signal.aborted) return;
      bus.publish(artifactEvent(rc, request.skill.id, resultParts(result)));
      bus.publish(statusEvent(rc, TaskState.TASK_STATE_COMPLETED, result.text));
    } catch (error) {
      if (!abort.signal.aborted)
        bus.publish(statusEvent(rc, TaskState.TASK_STATE_FAILED, failureText(error)));
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
  ) {
    const principal = principalOfCall(rc.context);
    assertScopes(options.agent, skill, principal);
    const args = validateSkillArgs(skill, rawArgs);
    const logger = log.child({ taskId: rc.taskId, skill: skill.id });
    const callTool = createToolCaller({
      tools: options.agent.tools,
      guard: options.guard,
      principal,
      taskId: rc.taskId,
      contextId: rc.contextId,
      signal,
      logger,
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

  return { execute, cancelTask };
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
