import { TaskState } from '@a2a-js/sdk';
import { AgentEvent, type ExecutionEventBus, type RequestContext } from '@a2a-js/sdk/server';
import type { CompletedToolCall, StatusNotice, TaskSession } from '../agent/task-session.js';
import { agentMessage, dataPart, statusEvent, textPart } from '../a2a/events.js';
import { hashInput, jsonOf } from './input-hash.js';

/** What {@link createTaskSession} needs. */
export interface TaskSessionOptions {
  readonly rc: RequestContext;
  readonly bus: ExecutionEventBus;
  readonly skill: { readonly id: string; readonly args: unknown };
  readonly signal: AbortSignal;
  /** Calls a previous run completed, replayed in order while the new run repeats them. */
  readonly replay?: readonly CompletedToolCall[] | undefined;
}

/**
 * The session of one skill run: it publishes the task's AUTH_REQUIRED and WORKING states on the
 * run's event bus (so open streams see them, A2A §7.6.1) and keeps the journal of completed calls
 * a resumed run replays.
 */
export function createTaskSession(options: TaskSessionOptions): TaskSession {
  const completed: CompletedToolCall[] = [];
  const replay = [...(options.replay ?? [])];
  let replaying = replay.length > 0;

  return {
    skill: options.skill,
    signal: options.signal,
    awaitAuthorization(notice: StatusNotice) {
      options.bus.publish(authRequiredEvent(options.rc, notice));
    },
    continueWorking(text: string) {
      options.bus.publish(statusEvent(options.rc, TaskState.TASK_STATE_WORKING, text));
    },
    completedCalls: () => [...completed],
    replayed(tool, input) {
      // Replay holds only while the new run repeats the old one call for call.
      const next = replaying ? replay[0] : undefined;
      if (next === undefined || next.tool !== tool || next.inputHash !== hashInput(input)) {
        replaying = false;
        return undefined;
      }
      replay.shift();
      completed.push(next);
      return { output: next.output };
    },
    completed(tool, input, output) {
      completed.push(journalEntry(tool, input, output));
    },
  };
}

// An output that is not JSON cannot be replayed: its entry matches no call, so a resumed run stops
// replaying there and runs that call again.
function journalEntry(tool: string, input: unknown, output: unknown): CompletedToolCall {
  try {
    return { tool, inputHash: hashInput(input), output: jsonOf(output) };
  } catch {
    return { tool, inputHash: '', output: null };
  }
}

function authRequiredEvent(rc: RequestContext, notice: StatusNotice) {
  const message = agentMessage(rc, [textPart(notice.text), dataPart({ ...notice.data })]);
  return AgentEvent.statusUpdate({
    taskId: rc.taskId,
    contextId: rc.contextId,
    status: {
      state: TaskState.TASK_STATE_AUTH_REQUIRED,
      message,
      timestamp: new Date().toISOString(),
    },
    metadata: {},
  });
}
