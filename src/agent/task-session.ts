/**
 * The running task a call belongs to, as a guard that must pause it sees it: a guard holding a
 * call for a human approval moves the task to `TASK_STATE_AUTH_REQUIRED` and back through it, and
 * records what a resumed run needs (the skill, and the calls already completed).
 */
export interface TaskSession {
  /** The skill running and its validated arguments: what a resumed task runs again. */
  readonly skill: { readonly id: string; readonly args: unknown };
  /** Aborted when the task is canceled. */
  readonly signal: AbortSignal;
  /** Moves the task to `TASK_STATE_AUTH_REQUIRED` with a message saying what waits for whom. */
  awaitAuthorization(notice: StatusNotice): void;
  /** Moves the task back to `TASK_STATE_WORKING`, saying why. */
  continueWorking(text: string): void;
  /** The tool calls completed so far in this run, with their outputs. */
  completedCalls(): readonly CompletedToolCall[];
  /**
   * The recorded output of this call when the task is being resumed past it (after a restart, the
   * skill runs again from its start, and calls it had completed are replayed, not repeated).
   */
  replayed(tool: string, input: unknown): { readonly output: unknown } | undefined;
  /** Records a completed call and its output. */
  completed(tool: string, input: unknown, output: unknown): void;
}

/** A status message: text for people, data for agents. */
export interface StatusNotice {
  readonly text: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A tool call that completed, as recorded for replay: the input by hash, the output as JSON. */
export interface CompletedToolCall {
  readonly tool: string;
  readonly inputHash: string;
  readonly output: unknown;
}
