import type { Principal } from '../auth/principal.js';

/** Audit event names, `noun.outcome`. */
export type AuditEventName =
  | 'token.rejected'
  | 'scope.denied'
  | 'rate_limit.exceeded'
  | 'budget.exceeded'
  | 'task.created'
  | 'task.state_changed'
  | 'skill.allowed'
  | 'skill.denied'
  | 'tool.allowed'
  | 'tool.denied'
  | 'tool.held'
  | 'approval.requested'
  | 'approval.granted'
  | 'approval.denied'
  | 'approval.expired'
  | 'tool.completed'
  | 'tool.failed'
  | 'policy.reloaded';

/**
 * What a module reports for one step of a task. The audit trail adds the time, the sequence
 * number, the chain hash and, from the request context, the request id; it redacts `parameters`.
 * Never put a token, secret or credential in any field: `principal.tokenId` is the token's `jti`.
 */
export interface AuditEventInput {
  readonly event: AuditEventName;
  readonly principal?: Principal | undefined;
  readonly taskId?: string | undefined;
  readonly contextId?: string | undefined;
  readonly skill?: string | undefined;
  readonly tool?: string | undefined;
  /** The tool's input or skill's arguments; redacted and truncated before it is written. */
  readonly parameters?: unknown;
  readonly decision?: 'allow' | 'deny' | 'hold' | undefined;
  /** Determining policy ids. */
  readonly policies?: readonly string[] | undefined;
  /** Hash of the policy set in force. */
  readonly policySetHash?: string | undefined;
  readonly approver?: string | undefined;
  readonly approvalId?: string | undefined;
  /** A short machine-readable outcome, e.g. an error code or a task state. */
  readonly outcome?: string | undefined;
  readonly durationMs?: number | undefined;
  /** Event-specific facts (counters, required scopes, reasons); no secrets. */
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
}

/** How long {@link AuditTrail.record} waits. */
export interface RecordOptions {
  /**
   * True (the default): resolve once the entry is on disk. False: resolve once it has its place
   * in the chain; it goes out in the next batch like any entry, but the caller does not wait for
   * the commit, and any later durable entry is on disk only after it. For the
   * steps between two effects (a skill allowed, a task created or working, a tool's completion),
   * whose order matters but whose durability the next tool call or the task's final state
   * provides: a request then waits for two commits instead of one per entry.
   */
  readonly durable?: boolean;
}

/**
 * Where audit events go. `record` resolves once the entry is durable (or, with `durable: false`,
 * chained); when it rejects, the caller MUST fail closed (refuse the action), because an action
 * without its audit entry must not happen.
 */
export interface AuditTrail {
  record(event: AuditEventInput, options?: RecordOptions): Promise<void>;
  close(): Promise<void>;
  /**
   * False once the trail can no longer write (a failed write or sync): Warden then answers 503 to
   * every A2A request and refuses tools, before attempting the action. Absent means always true.
   */
  isAvailable?(): boolean;
}
