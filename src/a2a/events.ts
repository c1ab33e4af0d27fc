import { Role, TaskState, type Artifact, type Message, type Part, type Task } from '@a2a-js/sdk';
import { AgentEvent, type AgentExecutionEvent, type RequestContext } from '@a2a-js/sdk/server';

/** A text part. */
export function textPart(text: string): Part {
  return {
    content: { $case: 'text', value: text },
    mediaType: 'text/plain',
    filename: '',
    metadata: {},
  };
}

/** A structured data part. */
export function dataPart(data: Record<string, unknown>): Part {
  return {
    content: { $case: 'data', value: data },
    mediaType: 'application/json',
    filename: '',
    metadata: {},
  };
}

/** A message from the agent, in a task's context. */
export function agentMessage(rc: RequestContext, parts: Part[]): Message {
  return {
    messageId: crypto.randomUUID(),
    contextId: rc.contextId,
    taskId: rc.taskId,
    role: Role.ROLE_AGENT,
    parts,
    metadata: {},
    extensions: [],
    referenceTaskIds: [],
  };
}

/** The `task` event that opens a new task (or restates an existing one on a follow-up turn). */
export function taskEvent(rc: RequestContext): AgentExecutionEvent {
  const task: Task = rc.task ?? {
    id: rc.taskId,
    contextId: rc.contextId,
    status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: now() },
    artifacts: [],
    history: [rc.userMessage],
    metadata: {},
  };
  return AgentEvent.task(task);
}

/** A status change, optionally with a message saying why. */
export function statusEvent(
  rc: RequestContext,
  state: TaskState,
  text?: string,
): AgentExecutionEvent {
  const message = text === undefined ? undefined : agentMessage(rc, [textPart(text)]);
  return AgentEvent.statusUpdate({
    taskId: rc.taskId,
    contextId: rc.contextId,
    status: { state, message, timestamp: now() },
    metadata: {},
  });
}

/** The artifact a skill's result becomes. */
export function artifactEvent(
  rc: RequestContext,
  name: string,
  parts: Part[],
): AgentExecutionEvent {
  const artifact: Artifact = {
    artifactId: crypto.randomUUID(),
    name,
    description: '',
    parts,
    metadata: {},
    extensions: [],
  };
  return AgentEvent.artifactUpdate({
    taskId: rc.taskId,
    contextId: rc.contextId,
    artifact,
    append: false,
    lastChunk: true,
    metadata: {},
  });
}

function now(): string {
  return new Date().toISOString();
}
