import { TaskState, type Task } from '@a2a-js/sdk';

const FINAL: ReadonlySet<TaskState> = new Set([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
]);

const PASSING: ReadonlySet<TaskState> = new Set([
  TaskState.TASK_STATE_SUBMITTED,
  TaskState.TASK_STATE_WORKING,
]);

/** The state a task is in; a task without a status is unspecified. */
export function stateOf(task: Task): TaskState {
  return task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED;
}

/** A final state: the task never changes again (A2A §4.1.3). */
export function isFinalState(state: TaskState): boolean {
  return FINAL.has(state);
}

/**
 * A state a task passes through while it runs (submitted, working). Every other state ends the
 * run or waits on someone (input or auth required), and is what a caller is answered with: the
 * store and the audit trail make those durable before moving on.
 */
export function isPassingState(state: TaskState): boolean {
  return PASSING.has(state);
}
