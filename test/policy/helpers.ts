import path from 'node:path';
import type { Principal } from '../../src/auth/principal.js';
import type { AuditEventInput, AuditTrail } from '../../src/audit/event.js';
import { createPolicyEngine } from '../../src/policy/engine.js';
import { loadPolicyBundle } from '../../src/policy/load.js';

export const REPO = path.resolve(import.meta.dirname, '../..');

/** A principal as a verified token would give it; roles describe the user when there is one. */
export function principal(options: {
  agent: string;
  user?: string;
  roles?: string[];
  actors?: string[];
  scopes?: string[];
}): Principal {
  const actors = options.actors ?? (options.user ? [options.agent] : []);
  return {
    issuer: 'https://idp.example',
    agent: options.agent,
    user: options.user,
    actors,
    delegationDepth: actors.length,
    scopes: new Set(options.scopes ?? []),
    roles: new Set(options.roles ?? []),
    groups: new Set<string>(),
    tenant: undefined,
    tokenId: 'jti-1',
    expiresAt: 4_102_444_800,
    tokenKind: 'jwt',
    dpopKeyThumbprint: undefined,
  } as Principal;
}

/** The engine over one of the reference agents' policy directories under `policies/`. */
export function referenceEngine(agent: 'support' | 'dev' | 'data', ttlMs = 0) {
  const dir = path.join(REPO, 'policies', agent);
  const bundle = loadPolicyBundle({ schema: path.join(dir, 'schema.cedarschema'), files: [dir] });
  return createPolicyEngine(bundle, { cache: { ttlMs, maxEntries: 1000 } });
}

/** An audit trail that keeps what it is given. */
export function memoryAudit(): AuditTrail & { events: AuditEventInput[] } {
  const events: AuditEventInput[] = [];
  return {
    events,
    async record(event) {
      events.push(event);
    },
    async close() {},
  };
}
