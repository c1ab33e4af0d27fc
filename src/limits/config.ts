import { z } from 'zod';

/**
 * The `limits` section of Warden's configuration: request rate limits, per-task budgets and the
 * store they share. Every key is documented in the README's "Configuration" table and in
 * docs/limits.md. What can only be checked against the agent (skill ids, tool names, numeric
 * input fields) is checked at start by `validateLimits`.
 */

/** What a rate-limit counter is keyed by. Every part comes from the verified token or the card. */
export const KEY_PARTS = ['issuer', 'agent', 'user', 'skill'] as const;
export type KeyPart = (typeof KEY_PARTS)[number];

// setTimeout and the memory store's timer take at most 2^31 - 1 ms (about 24.8 days).
const MAX_TIMER_MS = 2_147_483_647;

const windowMs = z.number().int().positive().max(MAX_TIMER_MS);
const count = z.number().int().positive();

const keyParts = z
  .array(z.enum(KEY_PARTS))
  .refine((parts) => new Set(parts).size === parts.length, 'lists a key part twice');

/** One rate limit: at most `limit` requests per `windowMs` for each distinct key. */
function ruleSchema(defaultKey: KeyPart[]) {
  return z
    .object({
      /** Requests admitted per window and key. */
      limit: count,
      /** The window, in milliseconds; a fixed window that starts at a key's first request. */
      windowMs,
      /** What one counter covers; the parts come from the verified token and the skill. */
      key: keyParts.default(defaultKey),
    })
    .strict();
}

/** Applies to every authenticated A2A request: per calling agent by default. */
export const requestRuleSchema = ruleSchema(['issuer', 'agent']);

/** Applies to a message invoking a skill: per calling agent and skill by default. */
export const skillRuleSchema = ruleSchema(['issuer', 'agent', 'skill']);

/** Skill id -> its rule; `"*"` is the rule of every skill that has none of its own. */
const skillRules = z.record(z.string().min(1), skillRuleSchema);

export const agentOverrideSchema = z
  .object({
    /** Apply only to tokens from this issuer; without it, to the client id from any issuer. */
    issuer: z.url().optional(),
    /** Replaces `limits.requests` for this agent. */
    requests: requestRuleSchema.optional(),
    /** Replaces the same-named entries of `limits.skills` for this agent. */
    skills: skillRules.default({}),
  })
  .strict();

export const unauthenticatedSchema = z
  .object({
    /** Unauthenticated requests (card, metadata, failed authentication) admitted per window. */
    limit: count.default(300),
    windowMs: windowMs.default(60_000),
    /** IPv6 addresses are counted per subnet of this prefix length, as one host owns a /64. */
    ipv6Subnet: z.number().int().min(32).max(64).default(56),
  })
  .strict();

export const redisSchema = z
  .object({
    /** `redis://` or `rediss://` URL; credentials belong in `${ENV}` references, not the file. */
    url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
    /** Prepended to every key Warden writes, so several deployments can share one Redis. */
    prefix: z.string().min(1).default('warden:'),
    /** How long one connection attempt may take before it counts as failed. */
    connectTimeoutMs: z.number().int().positive().default(1_000),
    /** How long a limit check waits for Redis before failing closed. */
    commandTimeoutMs: z.number().int().positive().default(500),
    /**
     * Admit requests and tool calls unchecked while Redis is unreachable. This switches rate
     * limits and budgets OFF during an outage; Warden logs `WARDEN_LIMITS_FAIL_OPEN` at start.
     */
    failOpen: z.boolean().default(false),
  })
  .strict();

const toolTotals = z
  .object({
    /** Most the field may add up to over one task. */
    perTask: z.number().positive().optional(),
    /** Most the field may add up to over one context (one caller's conversation). */
    perContext: z.number().positive().optional(),
  })
  .strict();

export const toolBudgetSchema = z
  .object({
    callsPerTask: count.optional(),
    callsPerContext: count.optional(),
    /** Numeric input field (dotted path for nested fields) -> most its values may add up to. */
    totals: z.record(z.string().min(1), toolTotals).default({}),
  })
  .strict();

export const budgetsSchema = z
  .object({
    /** Most tool calls, of any tool, in one task. */
    toolCallsPerTask: count.optional(),
    /** Most tool calls, of any tool, in one context. */
    toolCallsPerContext: count.optional(),
    /** Tool name -> its own budgets. */
    tools: z.record(z.string().min(1), toolBudgetSchema).default({}),
    /** How long an idle task's or context's counters are kept; each use restarts it. */
    retentionMs: windowMs.default(7 * 24 * 3_600_000),
  })
  .strict();

export const limitsSchema = z
  .object({
    /** Shared store; without it every counter lives in this process's memory. */
    redis: redisSchema.optional(),
    unauthenticated: unauthenticatedSchema.default(unauthenticatedSchema.parse({})),
    /** Every authenticated A2A request; no limit when absent. */
    requests: requestRuleSchema.optional(),
    /** Per-skill limits; `"*"` for every skill without its own. */
    skills: skillRules.default({}),
    /** Overrides for named agents (the token's client id). */
    agents: z.record(z.string().min(1), agentOverrideSchema).default({}),
    budgets: budgetsSchema.default(budgetsSchema.parse({})),
  })
  .strict();

/** The `limits` section after defaults. */
export type LimitsConfig = z.infer<typeof limitsSchema>;
export type RateLimitRule = z.infer<typeof requestRuleSchema>;
export type RedisConfig = z.infer<typeof redisSchema>;
export type BudgetsConfig = z.infer<typeof budgetsSchema>;

/** The key naming "every skill without a rule of its own" in `skills` maps. */
export const ANY_SKILL = '*';
