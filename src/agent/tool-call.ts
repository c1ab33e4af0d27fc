import { WardenError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Principal } from '../auth/principal.js';
import type { ToolDefinition, ToolRunContext } from './define.js';

/** One tool call about to run, as the guard sees it. */
export interface ToolCall {
  readonly tool: ToolDefinition;
  /** The validated input. */
  readonly input: unknown;
  readonly principal: Principal;
  readonly taskId: string;
  readonly contextId: string;
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

/** What a tool caller needs to know about the call site. */
export interface ToolCallSite {
  readonly tools: ReadonlyMap<string, ToolDefinition>;
  readonly guard: ToolGuard;
  readonly principal: Principal;
  readonly taskId: string;
  readonly contextId: string;
  readonly signal: AbortSignal;
  readonly logger: Logger;
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
    const call = {
      tool,
      input,
      principal: site.principal,
      taskId: site.taskId,
      contextId: site.contextId,
    };
    await site.guard.checkToolCall(call as ToolCall);

    const context: ToolRunContext = {
      principal: site.principal,
      taskId: site.taskId,
      signal: site.signal,
    };
    const started = performance.now();
    const output = await tool.run(input, context);
    site.logger.debug('tool.completed', {
      tool: tool.name,
      taskId: site.taskId,
      ms: performance.now() - started,
    });
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
