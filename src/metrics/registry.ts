import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Warden's Prometheus metrics, one registry per process, served at `/metrics`. Import the metric
 * you need and update it; names and labels are listed in docs/audit.md ("Metrics").
 *
 * Counted FROM AUDIT EVENTS, by the audit trail, once the entry is durable (record the event; do
 * not increment these yourself, or they count twice): {@link authFailures} (`token.rejected`),
 * {@link authzDecisions} (`scope.denied`, `skill.*`, `tool.allowed|denied|held`),
 * {@link rateLimitRejections} (`rate_limit.exceeded`), {@link budgetRejections}
 * (`budget.exceeded`).
 *
 * Read FROM `src/auth`'s own counters when scraped (`src/metrics/auth-metrics.ts`): the
 * verified-token cache and the issuers' key sets.
 *
 * Labels must stay low-cardinality: codes, declared skill and tool names, issuer URLs; never a
 * user, task or token id.
 */
export const registry = new Registry();

/** Failed authentications, by `reason` (the `WardenError` code, e.g. `ERR_TOKEN_EXPIRED`). */
export const authFailures = new Counter({
  name: 'warden_auth_failures_total',
  help: 'Requests refused at authentication, by reason (error code)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

/**
 * Authorization decisions, by `action` (`skill:<id>` or `tool:<name>`, the Cedar action) and
 * `outcome` (`allow`, `deny`, `hold`).
 */
export const authzDecisions = new Counter({
  name: 'warden_authz_decisions_total',
  help: 'Authorization decisions, by action and outcome',
  labelNames: ['action', 'outcome'] as const,
  registers: [registry],
});

/**
 * Time to reach one authorization decision, by `kind` (`skill` or `tool`). Observed by the policy
 * engine around evaluation (cache hits included).
 */
export const authzDecisionSeconds = new Histogram({
  name: 'warden_authz_decision_duration_seconds',
  help: 'Latency of authorization decisions, by kind (skill or tool)',
  labelNames: ['kind'] as const,
  buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
  registers: [registry],
});

/** Policy decision cache lookups, by `result` (`hit` or `miss`). */
export const decisionCacheLookups = new Counter({
  name: 'warden_decision_cache_lookups_total',
  help: 'Policy decision cache lookups, by result (hit or miss)',
  labelNames: ['result'] as const,
  registers: [registry],
});

/** Tokens Warden obtained for its own outbound calls, by `issuer` and `result`. */
export const outboundTokenAcquisitions = new Counter({
  name: 'warden_outbound_token_acquisitions_total',
  help: 'Access tokens acquired for outbound calls, by issuer and result (ok or error)',
  labelNames: ['issuer', 'result'] as const,
  registers: [registry],
});

/** Requests refused by a rate limit, by `limit` (the limit's configured name). */
export const rateLimitRejections = new Counter({
  name: 'warden_rate_limit_rejections_total',
  help: 'Requests refused by a rate limit, by limit',
  labelNames: ['limit'] as const,
  registers: [registry],
});

/** Actions refused because a budget was spent, by `budget` (the budget's configured name). */
export const budgetRejections = new Counter({
  name: 'warden_budget_rejections_total',
  help: 'Actions refused because a budget was exhausted, by budget',
  labelNames: ['budget'] as const,
  registers: [registry],
});

/** Held actions waiting for a human; read from the approvals store at each scrape. */
export const approvalsPending = new Gauge({
  name: 'warden_approvals_pending',
  help: 'Held actions waiting for an approval decision',
  registers: [registry],
});

/** Audit entries made durable, by `event`. */
export const auditEntries = new Counter({
  name: 'warden_audit_entries_total',
  help: 'Audit entries written and synced, by event',
  labelNames: ['event'] as const,
  registers: [registry],
});

/** One group commit: the write and the `fdatasync` of a batch. */
export const auditWriteSeconds = new Histogram({
  name: 'warden_audit_write_duration_seconds',
  help: 'Latency of one audit batch (write and fdatasync)',
  buckets: [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [registry],
});

/** Entries per group commit: how many concurrent requests shared one `fdatasync`. */
export const auditBatchEntries = new Histogram({
  name: 'warden_audit_batch_entries',
  help: 'Audit entries per batch (group commit)',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
  registers: [registry],
});

/** Failed audit writes; after one the trail refuses every action until restarted. */
export const auditWriteFailures = new Counter({
  name: 'warden_audit_write_failures_total',
  help: 'Audit batches that could not be written or synced',
  registers: [registry],
});

/** Signed checkpoints, by `result` (`ok` or `error`). */
export const auditCheckpoints = new Counter({
  name: 'warden_audit_checkpoints_total',
  help: 'Signed audit checkpoints written, by result (ok or error)',
  labelNames: ['result'] as const,
  registers: [registry],
});

let processMetricsStarted = false;

/**
 * Adds Node's default process metrics (CPU, memory, event loop lag, GC) to the registry, once.
 * Called when `/metrics` is mounted, so CLI commands that import this module start no monitors.
 */
export function collectProcessMetrics(): void {
  if (processMetricsStarted) return;

  processMetricsStarted = true;
  collectDefaultMetrics({ register: registry });
}
