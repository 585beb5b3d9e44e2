/**
 * Mapping of an alert observation to the SLO it belongs to.
 */
import type { AlertObservation } from '../alerts/observation';
import type { Severity } from './severity';
import type { Action, AlertMatcher, Policy, Slo } from './schema';

/** What the policy says about one alert. */
export interface PolicyMatch {
  /** The SLO id, or `'default'` when no SLO matched. */
  readonly slo: string;
  /** false when no SLO matched and the `default` policy applies. */
  readonly mapped: boolean;
  readonly severity: Severity;
  readonly flapHoldSeconds: number;
  /** In the order they run. */
  readonly actionsOnBreach: readonly Action[];
  /** true unless the policy explicitly allows an unapproved rollback. */
  readonly rollbackRequiresApproval: boolean;
  readonly service: string;
  readonly model: string;
}

/** Label / dimension names read for the incident key, in order of preference (case-sensitive). */
const SERVICE_LABELS = ['service', 'Service', 'ServiceName'] as const;
const MODEL_LABELS = ['model', 'model_id', 'Model', 'ModelId'] as const;
const UNKNOWN = 'unknown';

type Predicate = (alert: AlertObservation) => boolean;
const compiled = new WeakMap<Policy, Predicate[][]>();

/**
 * Finds the SLO an alert belongs to: the first SLO, in file order, with any
 * matcher that matches. Alerts that match none get the `default` policy with
 * `mapped: false` (they still open an incident and page).
 *
 * Matchers are compiled once per policy object.
 *
 * @example
 * const m = matchAlert(policy, observation);
 * // => { slo: 'ttft-p95', mapped: true, severity: 'sev2', flapHoldSeconds: 300,
 * //      actionsOnBreach: ['degrade_to_safe_mode', 'rollback'], rollbackRequiresApproval: true,
 * //      service: 'support-bot', model: 'support-llm' }
 */
export function matchAlert(policy: Policy, alert: AlertObservation): PolicyMatch {
  let predicates = compiled.get(policy);
  if (!predicates) {
    predicates = policy.slos.map((slo) => slo.alerts.map(compile));
    compiled.set(policy, predicates);
  }
  const index = predicates.findIndex((any) => any.some((matches) => matches(alert)));
  const slo: Slo | undefined = policy.slos[index];
  const rules = slo ?? policy.default;
  return {
    slo: slo?.id ?? 'default',
    mapped: slo !== undefined,
    severity: rules.severity,
    flapHoldSeconds: rules.flap_hold,
    actionsOnBreach: rules.action_on_breach,
    rollbackRequiresApproval: rules.rollback?.requires_approval ?? true,
    service: firstLabel(alert, SERVICE_LABELS) ?? slo?.service ?? UNKNOWN,
    model: firstLabel(alert, MODEL_LABELS) ?? slo?.model ?? UNKNOWN,
  };
}

function compile(matcher: AlertMatcher): Predicate {
  if (matcher.source === 'alertmanager') {
    const equal = Object.entries(matcher.match ?? {});
    // Anchored like Alertmanager's `=~`; a missing label is the empty string.
    const regex = Object.entries(matcher.match_re ?? {}).map(([name, re]) => [name, new RegExp(`^(?:${re})$`)] as const);
    return (alert) =>
      alert.source === 'alertmanager' &&
      equal.every(([name, value]) => (alert.labels[name] ?? '') === value) &&
      regex.every(([name, re]) => re.test(alert.labels[name] ?? ''));
  }
  if (matcher.alarm_name !== undefined) {
    const name = matcher.alarm_name;
    return (alert) => alert.source === 'cloudwatch' && (alert.labels.alarmName === name || alert.name === name);
  }
  const arn = globToRegExp(matcher.alarm_arn_pattern ?? '');
  return (alert) => alert.source === 'cloudwatch' && arn.test(alert.identity);
}

/** `*` matches any run of characters (including `:`, as in IAM ARN patterns); everything else is literal. */
function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

function firstLabel(alert: AlertObservation, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = alert.labels[name]?.trim();
    if (value) return value;
  }
  return undefined;
}
