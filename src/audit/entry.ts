import type { AuditEventInput, AuditEventName } from './event.js';
import type { Redactor } from './redact.js';

/**
 * One line of the audit file, as written. Absent fields were not known for the event (an empty
 * actor chain is absent too). `prev` and `hash` chain the lines: see docs/audit.md.
 */
export interface AuditEntry {
  /** Position in the chain, from 1, without gaps across rotated files. */
  readonly seq: number;
  /** ISO 8601 UTC with milliseconds. */
  readonly time: string;
  readonly event: AuditEventName;
  readonly requestId?: string;
  readonly taskId?: string;
  readonly contextId?: string;
  readonly issuer?: string;
  /** The calling agent (client id). */
  readonly agent?: string;
  /** The user the agent acts for (`sub`). */
  readonly user?: string;
  /** RFC 8693 actor chain, current actor first. */
  readonly actors?: readonly string[];
  /** The token's `jti`; never the token. */
  readonly tokenId?: string;
  readonly skill?: string;
  readonly tool?: string;
  /** Redacted: masked fields, no secrets, long values cut and hashed. */
  readonly parameters?: unknown;
  readonly decision?: 'allow' | 'deny' | 'hold';
  readonly policies?: readonly string[];
  readonly policySetHash?: string;
  readonly approver?: string;
  readonly approvalId?: string;
  readonly outcome?: string;
  readonly durationMs?: number;
  readonly detail?: Readonly<Record<string, unknown>>;
  /** SHA-256 (hex) of the previous line; 64 zeros on the first line of a chain. */
  readonly prev: string;
  /** SHA-256 (hex) of this line's RFC 8785 canonical form without `hash`. */
  readonly hash: string;
}

/** An entry before it takes its place in the chain. */
export type AuditEntryBody = Omit<AuditEntry, 'seq' | 'prev' | 'hash'>;

/** What the trail adds to a module's event. */
export interface EntryContext {
  readonly time: Date;
  readonly requestId: string | undefined;
  readonly redactor: Redactor;
}

/**
 * Turns an event into the body of an entry: the principal's identity spelled out (its `jti`, never
 * the token), `parameters` and `detail` redacted, absent values left out. Field order here is the
 * order on the line, so a person reading the file finds who before what.
 */
export function toEntryBody(input: AuditEventInput, context: EntryContext): AuditEntryBody {
  const { principal } = input;
  const body = {
    time: context.time.toISOString(),
    event: input.event,
    requestId: context.requestId,
    taskId: input.taskId,
    contextId: input.contextId,
    issuer: principal?.issuer,
    agent: principal?.agent,
    user: principal?.user,
    actors: principal && principal.actors.length > 0 ? [...principal.actors] : undefined,
    tokenId: principal?.tokenId,
    skill: input.skill,
    tool: input.tool,
    parameters: redactOptional(context.redactor, input.parameters),
    decision: input.decision,
    policies: input.policies ? [...input.policies] : undefined,
    policySetHash: input.policySetHash,
    approver: input.approver,
    approvalId: input.approvalId,
    outcome: input.outcome,
    durationMs: input.durationMs === undefined ? undefined : roundMs(input.durationMs),
    detail: redactOptional(context.redactor, input.detail) as AuditEntryBody['detail'],
  };
  return withoutUndefined(body) as AuditEntryBody;
}

function redactOptional(redactor: Redactor, value: unknown): unknown {
  return value === undefined ? undefined : redactor.redact(value);
}

// Microseconds are noise at this scale, and a short number keeps the line short.
function roundMs(ms: number): number {
  return Number.isFinite(ms) ? Math.round(ms * 1000) / 1000 : 0;
}

// Absent, not `undefined`: the canonical form hashed must equal what JSON.parse reads back.
function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
