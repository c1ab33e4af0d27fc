import { WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Principal } from '../auth/principal.js';
import type { AuditTrail } from '../audit/event.js';
import { runAuditedTool } from '../audit/tool-run.js';
import type { ToolDefinition, ToolRunContext } from './define.js';
import type { TaskSession } from './task-session.js';

/** One tool call about to run, as the guard sees it. */
export interface ToolCall {
  readonly tool: ToolDefinition;
  /** The validated input. */
  readonly input: unknown;
  readonly principal: Principal;
  readonly taskId: string;
  readonly contextId: string;
  /** The task the call runs in; a guard holding the call for approval pauses it through this. */
  readonly session?: TaskSession | undefined;
}

/**
 * Stands between a skill and every tool it calls. The guard decides before the tool runs and
 * throws a `WardenError` to stop it; policy, budgets and approvals plug in here.
 */
export interface ToolGuard {
  checkToolCall(call: ToolCall): Promise<void>;
}

/** A guard that lets every declared tool run: authentication and scopes still apply upstream. */
export const allowAllTools: ToolGuard = { checkToolCall: async () => {} };

/**
 * One guard made of several, asked in order; the first to throw stops the call and the later ones
 * are not asked. Put guards that only decide (policy) before those that consume something
 * (budgets), so a call refused by policy spends no budget.
 *
 * @example
 * const guard = composeGuards(policyGuard, budgetGuard);
 */
export function composeGuards(...guards: readonly ToolGuard[]): ToolGuard {
  return {
    async checkToolCall(call) {
      for (const guard of guards) await guard.checkToolCall(call);
    },
  };
}

/** What a tool caller needs to know about the call site. */
export interface ToolCallSite {
  readonly tools: ReadonlyMap<string, ToolDefinition>;
  readonly guard: ToolGuard;
  readonly principal: Principal;
  readonly taskId: string;
  readonly contextId: string;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly session?: TaskSession | undefined;
  /** Where `tool.completed` and `tool.failed` go, durable before the result reaches the skill. */
  readonly audit: AuditTrail;
}

/** Creates the `callTool` a skill receives: validate, ask the guard, then run. */
export function createToolCaller(site: ToolCallSite) {
  return async function callTool<I, O>(tool: ToolDefinition<I, O>, rawInput: I): Promise<O> {
    if (site.tools.get(tool.name) !== tool) {
      throw new WardenError(
        'ERR_TOOL_UNKNOWN',
        `tool "${tool.name}" is not declared by this agent`,
      );
    }

    const input = validateToolInput(tool, rawInput);
    // A resumed task runs its skill again; calls it had completed return their recorded output.
    const replayed = site.session?.replayed(tool.name, input);
    if (replayed !== undefined) return replayed.output as O;

    const call = {
      tool,
      input,
      principal: site.principal,
      taskId: site.taskId,
      contextId: site.contextId,
      session: site.session,
    };
    await site.guard.checkToolCall(call as ToolCall);

    const context: ToolRunContext = {
      principal: site.principal,
      taskId: site.taskId,
      signal: site.signal,
    };
    const output = await runAuditedTool(site.audit, call, () => tool.run(input, context));
    site.session?.completed(tool.name, input, output);
    return output;
  };
}

function validateToolInput<I>(tool: ToolDefinition<I, unknown>, rawInput: unknown): I {
  const parsed = tool.input.safeParse(rawInput);
  if (parsed.success) return parsed.data;

  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
  throw new WardenError(
    'ERR_TOOL_INPUT',
    `tool "${tool.name}" input is invalid: ${issues.join('; ')}`,
  );
}
