import type { z } from 'zod';
import type { Message } from '@a2a-js/sdk';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../log/logger.js';
import { WardenError } from '../errors.js';
import type { ActionPolicy, EntityResolvers } from '../policy/declarations.js';

export type {
  ActionPolicy,
  EntityData,
  EntityRef,
  EntityResolver,
  EntityResolvers,
} from '../policy/declarations.js';
export { decimalValue, entityValue } from '../policy/declarations.js';

/**
 * A tool: anything with a side effect, or that reads data a policy may restrict. Skills never call
 * a tool's `run` directly; they call `context.callTool(tool, input)`, which is where Warden's guard
 * (policy, budgets, approval, audit) stands. Its input is validated against `input` first.
 *
 * @example
 * export const issueRefund = defineTool({
 *   name: 'issue-refund',
 *   description: 'Refunds part of an order',
 *   input: z.object({ orderId: z.string(), amount: z.number().positive() }),
 *   run: async ({ orderId, amount }) => payments.refund(orderId, amount),
 * });
 */
export interface ToolDefinition<I = unknown, O = unknown> {
  /** Unique within the agent; policies name it as an action. */
  readonly name: string;
  readonly description: string;
  readonly input: z.ZodType<I>;
  /**
   * How policy sees a call: the resource it acts on and the input fields policy needs. Without
   * it, the resource is `Tool::"<name>"` and `context.input` is read from the input by name.
   */
  readonly policy?: ActionPolicy<I>;
  run(input: I, context: ToolRunContext): Promise<O>;
}

/** What a tool's `run` receives besides its input. */
export interface ToolRunContext {
  readonly principal: Principal;
  readonly taskId: string;
  readonly signal: AbortSignal;
}

/**
 * A skill: the unit a peer agent invokes, declared in the Agent Card source with the scopes it
 * requires. A skill receives validated arguments from the message's data part (or from its own
 * plain-text parser) and returns a result Warden turns into the task's artifact.
 */
export interface SkillDefinition<A = unknown> {
  /** Equals the `id` of a skill in the Agent Card source. */
  readonly id: string;
  /** Arguments: the data part's fields other than `skill`. */
  readonly input: z.ZodType<A>;
  /** Understands a plain-text request, returning arguments, or `undefined` when it does not. */
  readonly parseText?: (text: string) => A | undefined;
  /** How policy sees the skill; without it, the resource is `Skill::"<id>"`. */
  readonly policy?: ActionPolicy<A>;
  run(args: A, context: SkillContext): Promise<SkillResult>;
}

/** What a skill's `run` receives besides its arguments. */
export interface SkillContext {
  readonly principal: Principal;
  readonly taskId: string;
  readonly contextId: string;
  readonly message: Message;
  readonly logger: Logger;
  /** Aborted when the task is canceled. */
  readonly signal: AbortSignal;
  /** Calls a declared tool through Warden's guard. */
  callTool<I, O>(tool: ToolDefinition<I, O>, input: I): Promise<O>;
}

/** A skill's answer: text for people, and structured data for agents. */
export interface SkillResult {
  readonly text: string;
  readonly data?: Record<string, unknown>;
}

/** An agent: its skills and every tool they may call. */
export interface AgentDefinition {
  readonly skills: readonly SkillDefinition[];
  readonly tools: readonly ToolDefinition[];
  /**
   * Loaders of policy entities by type: attributes and parents (relationships) of the resources
   * tools act on, e.g. the customer who owns an order.
   */
  readonly resolvers?: EntityResolvers;
}

/** Declares a tool, keeping its input and output types. */
export function defineTool<I, O>(tool: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return tool;
}

/** Declares a skill, keeping its argument type. */
export function defineSkill<A>(skill: SkillDefinition<A>): SkillDefinition<A> {
  return skill;
}

/** Declares an agent. */
export function defineAgent(agent: AgentDefinition): AgentDefinition {
  return agent;
}

/**
 * Ends the skill with a message the calling agent is shown, e.g. "order o-9 does not exist". Any
 * other error thrown by a skill or tool reaches the caller only as a generic failure.
 */
export function failSkill(message: string): never {
  throw new WardenError('ERR_SKILL_FAILED', message);
}
