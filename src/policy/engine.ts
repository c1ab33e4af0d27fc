import { WardenError } from '../errors.js';
import {
  preparsePolicySet,
  preparseSchema,
  statefulIsAuthorized,
  type AuthorizationAnswer,
} from './cedar.js';
import { DecisionCache, type CacheStats, type DecisionCacheOptions } from './cache.js';
import { interpretAnswer, type CedarRequest, type Decision, type Outcome } from './decision.js';
import type { LoadedPolicy, PolicyBundle } from './load.js';

/** A decision, with the policy set that made it and what the shadow policies would have done. */
export interface EngineDecision extends Decision {
  readonly policySetHash: string;
  /** The outcome with the `@shadow` policies enforced too; present when the set has any. */
  readonly shadow: { readonly outcome: Outcome; readonly policies: readonly string[] } | undefined;
  /** True when the decision came from the cache. */
  readonly cached: boolean;
}

/** Options of {@link createPolicyEngine}. */
export interface PolicyEngineOptions {
  readonly cache: DecisionCacheOptions;
}

/** Evaluates requests against the policy set in force; the set can be replaced at run time. */
export interface PolicyEngine {
  current(): PolicyBundle;
  decide(request: CedarRequest): EngineDecision;
  /**
   * Puts `bundle` in force. When Cedar refuses it, throws `ERR_POLICY_INVALID` and the previous
   * set stays in force.
   */
  replace(bundle: PolicyBundle): void;
  cacheStats(): CacheStats;
}

/** A bundle as the engine holds it: preparsed in Cedar, policies indexed by id. */
interface Prepared {
  readonly bundle: PolicyBundle;
  readonly schemaName: string;
  readonly enforcedId: string;
  /** Enforced plus shadow policies; undefined when there are no shadow policies. */
  readonly shadowId: string | undefined;
  readonly byId: ReadonlyMap<string, LoadedPolicy>;
}

/**
 * Creates the engine: the schema and policies are parsed once, into Cedar's own cache
 * (`preparseSchema`, `preparsePolicySet`), and each decision is one `statefulIsAuthorized` call
 * (two when shadow policies exist), with the request validated against the schema.
 */
export function createPolicyEngine(
  bundle: PolicyBundle,
  options: PolicyEngineOptions,
): PolicyEngine {
  let prepared = prepare(bundle);
  const cache = new DecisionCache<Omit<EngineDecision, 'cached'>>(options.cache);

  return {
    current: () => prepared.bundle,
    decide(request) {
      const state = prepared;
      const key = JSON.stringify([state.bundle.hash, request]);
      const { value, cached } = cache.getOrCompute(key, () => evaluate(state, request));
      return { ...value, cached };
    },
    replace(next) {
      prepared = prepare(next);
      cache.clear();
    },
    cacheStats: () => cache.stats(),
  };
}

function prepare(bundle: PolicyBundle): Prepared {
  const name = `warden-${bundle.hash}`;
  const enforced = bundle.policies.filter((policy) => !policy.shadow);
  const hasShadow = enforced.length < bundle.policies.length;

  check(preparseSchema(name, bundle.schemaText), 'schema');
  check(preparsePolicySet(name, { staticPolicies: textsOf(enforced) }), 'policies');
  if (hasShadow) {
    check(
      preparsePolicySet(`${name}-shadow`, { staticPolicies: textsOf(bundle.policies) }),
      'shadow policies',
    );
  }

  return {
    bundle,
    schemaName: name,
    enforcedId: name,
    shadowId: hasShadow ? `${name}-shadow` : undefined,
    byId: new Map(bundle.policies.map((policy) => [policy.id, policy])),
  };
}

function evaluate(state: Prepared, request: CedarRequest): Omit<EngineDecision, 'cached'> {
  const decision = interpretAnswer(authorize(state, state.enforcedId, request), state.byId);
  const shadow =
    state.shadowId === undefined
      ? undefined
      : interpretAnswer(authorize(state, state.shadowId, request), state.byId);

  return {
    ...decision,
    policySetHash: state.bundle.hash,
    shadow: shadow && { outcome: shadow.outcome, policies: shadow.policies },
  };
}

function authorize(
  state: Prepared,
  policySetId: string,
  request: CedarRequest,
): AuthorizationAnswer {
  try {
    return statefulIsAuthorized({
      ...request,
      preparsedPolicySetId: policySetId,
      preparsedSchemaName: state.schemaName,
      validateRequest: true,
    });
  } catch (error) {
    // Fail closed: a fault inside the engine is an evaluation error, which denies.
    const message = error instanceof Error ? error.message : String(error);
    return { type: 'failure', errors: [engineError(message)], warnings: [] };
  }
}

function engineError(message: string) {
  return { message: `Cedar failed: ${message}`, help: null, code: null, url: null, severity: null };
}

function textsOf(policies: readonly LoadedPolicy[]): Record<string, string> {
  return Object.fromEntries(policies.map((policy) => [policy.id, policy.text]));
}

function check(answer: { type: string; errors?: { message: string }[] }, what: string): void {
  if (answer.type === 'success') return;

  const message = answer.errors?.map((e) => e.message).join('; ') ?? 'unknown error';
  throw new WardenError('ERR_POLICY_INVALID', `Cedar refused the ${what}: ${message}`);
}
