import { taskStateToJSON, type Task } from '@a2a-js/sdk';
import type { ServerCallContext, TaskStore } from '@a2a-js/sdk/server';
import type { SkillDefinition } from '../agent/define.js';
import { readSkillRequest } from '../agent/invocation.js';
import { WardenUser } from '../a2a/user.js';
import { isFinalState, isPassingState, stateOf } from '../a2a/task-states.js';
import type { AuditTrail } from './event.js';

/** Live tasks whose last state is remembered; beyond, the store is asked (correct, just slower). */
const REMEMBERED_TASKS = 10_000;

/**
 * Decorates the SDK's `TaskStore` so that every task's creation (`task.created`) and every change
 * of its state (`task.state_changed`, with `from` and `to`) is audited. The SDK saves the task on
 * each event it publishes, so `save` sees every transition whichever code caused it, without the
 * executor knowing about audit. The entry is chained before the task is saved, and on disk first
 * when the task reaches a final or interrupted state, which is what a caller is answered with;
 * when it cannot be written, `save` rejects and the task does not move.
 */
export function auditTaskStore(
  inner: TaskStore,
  audit: AuditTrail,
  skills: ReadonlyMap<string, SkillDefinition>,
): TaskStore {
  const states = new Map<string, string>();

  async function previousState(
    task: Task,
    context: ServerCallContext,
  ): Promise<string | undefined> {
    const known = states.get(task.id);
    if (known !== undefined) return known;

    const stored = await inner.load(task.id, context);
    return stored && stateName(stored);
  }

  async function save(task: Task, context: ServerCallContext): Promise<void> {
    const from = await previousState(task, context);
    const to = stateName(task);
    const options = { durable: !isPassingState(stateOf(task)) };
    if (from === undefined) await audit.record(createdEvent(task, context, skills), options);
    else if (from !== to) await audit.record(changedEvent(task, context, from, to), options);

    await inner.save(task, context);
    remember(states, task, to);
  }

  return {
    save,
    load: (taskId, context) => inner.load(taskId, context),
    list: (params, context) => inner.list(params, context),
  };
}

function createdEvent(
  task: Task,
  context: ServerCallContext,
  skills: ReadonlyMap<string, SkillDefinition>,
) {
  const first = task.history[0];
  const request = first && readSkillRequest(first, skills);
  const invoked = request?.kind === 'skill' ? request : undefined;

  return {
    event: 'task.created' as const,
    principal: principalOf(context),
    taskId: task.id,
    contextId: task.contextId,
    skill: invoked?.skill.id,
    parameters: invoked?.args,
    outcome: stateName(task),
  };
}

function changedEvent(task: Task, context: ServerCallContext, from: string, to: string) {
  return {
    event: 'task.state_changed' as const,
    principal: principalOf(context),
    taskId: task.id,
    contextId: task.contextId,
    outcome: to,
    detail: { from, to },
  };
}

function stateName(task: Task): string {
  return taskStateToJSON(stateOf(task));
}

function principalOf(context: ServerCallContext) {
  return context.user instanceof WardenUser ? context.user.principal : undefined;
}

// Terminal tasks never change again, so forgetting them costs nothing; the cap bounds the rest.
function remember(states: Map<string, string>, task: Task, state: string): void {
  states.delete(task.id);
  if (isFinalState(stateOf(task))) return;

  states.set(task.id, state);
  if (states.size > REMEMBERED_TASKS) states.delete(states.keys().next().value ?? '');
}
