import { ANY_SKILL, type LimitsConfig, type RateLimitRule } from './config.js';

/** A rate-limit rule with the name its counters, headers, logs and audit entries carry. */
export interface NamedRule {
  /** `requests`, `skill:<id>`, `agent:<client id>:requests`, `agent:<client id>:skill:<id>`. */
  readonly name: string;
  readonly rule: RateLimitRule;
}

/** Which rules apply to a request; built once from the configuration. */
export interface RuleTable {
  /** Every rule, for building one limiter each. */
  readonly rules: readonly NamedRule[];
  /**
   * The rules a request must pass: the request rule, then the skill's rule when it invokes one.
   * A named agent's own rules replace the general ones; a rule for the skill itself beats a `"*"`
   * rule, so a tight per-skill limit is never loosened by an agent's catch-all.
   */
  select(issuer: string, agent: string, skill: string | undefined): readonly NamedRule[];
}

interface RuleSet {
  readonly issuer?: string | undefined;
  readonly requests: NamedRule | undefined;
  readonly skills: ReadonlyMap<string, NamedRule>;
}

/** Builds the rule table of `limits`. */
export function buildRuleTable(config: LimitsConfig): RuleTable {
  const general = ruleSet('', config.requests, config.skills);
  const overrides = new Map(
    Object.entries(config.agents).map(([agent, override]) => [
      agent,
      {
        ...ruleSet(`agent:${agent}:`, override.requests, override.skills),
        issuer: override.issuer,
      },
    ]),
  );
  const rules = [general, ...overrides.values()].flatMap((set) => [
    ...(set.requests ? [set.requests] : []),
    ...set.skills.values(),
  ]);

  function select(issuer: string, agent: string, skill: string | undefined) {
    const candidate = overrides.get(agent);
    const own = candidate && (candidate.issuer ?? issuer) === issuer ? candidate : undefined;
    const requests = own?.requests ?? general.requests;
    const skillRule = skill === undefined ? undefined : skillRuleOf(skill, own, general);

    return [requests, skillRule].filter((rule): rule is NamedRule => rule !== undefined);
  }
  return { rules, select };
}

function skillRuleOf(skill: string, own: RuleSet | undefined, general: RuleSet) {
  return (
    own?.skills.get(skill) ??
    general.skills.get(skill) ??
    own?.skills.get(ANY_SKILL) ??
    general.skills.get(ANY_SKILL)
  );
}

function ruleSet(
  prefix: string,
  requests: RateLimitRule | undefined,
  skills: Record<string, RateLimitRule>,
): RuleSet {
  const named = Object.entries(skills).map(([id, rule]) => [
    id,
    { name: `${prefix}skill:${id}`, rule },
  ]);
  return {
    requests: requests && { name: `${prefix}requests`, rule: requests },
    skills: new Map(named as [string, NamedRule][]),
  };
}
