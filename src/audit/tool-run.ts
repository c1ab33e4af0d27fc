import { isWardenError, WardenError } from '../errors.js';
import type { Principal } from '../auth/principal.js';
import type { AuditTrail } from './event.js';

/** The call being run, as the audit entry names it. */
export interface AuditedToolCall {
  readonly tool: { readonly name: string };
  readonly input: unknown;
  readonly principal: Principal;
  readonly taskId: string;
  readonly contextId: string;
}

/**
 * Runs a tool that the guard let through and records `tool.completed` or `tool.failed` with its
 * duration. The entry is chained before the output (or the error) goes back to the skill, and on
 * disk before the next tool runs or the task ends (both of which wait for a durable entry); if it
 * cannot be written, the output is withheld and the call fails with `ERR_AUDIT_UNAVAILABLE`. When
 * the trail is already known to be down, the tool does not run at all.
 */
export async function runAuditedTool<O>(
  audit: AuditTrail,
  call: AuditedToolCall,
  run: () => Promise<O>,
): Promise<O> {
  if (audit.isAvailable?.() === false) {
    throw new WardenError('ERR_AUDIT_UNAVAILABLE', `tool "${call.tool.name}" refused: audit down`, {
      publicMessage: 'temporarily unavailable: the audit trail cannot be written',
    });
  }

  const started = performance.now();
  let output: O;
  try {
    output = await run();
  } catch (error) {
    const failed = { ...entryOf(call, started), event: 'tool.failed' as const };
    await audit.record({ ...failed, outcome: codeOf(error) }, CHAINED);
    throw error;
  }
  await audit.record(
    { ...entryOf(call, started), event: 'tool.completed', outcome: 'ok' },
    CHAINED,
  );
  return output;
}

const CHAINED = { durable: false } as const;

function entryOf(call: AuditedToolCall, started: number) {
  return {
    principal: call.principal,
    taskId: call.taskId,
    contextId: call.contextId,
    tool: call.tool.name,
    parameters: call.input,
    durationMs: performance.now() - started,
  };
}

// The code only: a tool's own error message may quote anything it was given.
function codeOf(error: unknown): string {
  return isWardenError(error) ? error.code : 'ERR_TOOL_FAILED';
}
