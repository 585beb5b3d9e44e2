/**
 * Schema of the SLO policy file (`runbooks/slos.yaml`).
 *
 * Every object is strict: an unknown key is an error, so a typo such as
 * `flaphold:` is reported instead of silently ignored. Key names follow the
 * YAML file (snake_case); durations are parsed to seconds.
 */
import { z } from 'zod';
import { SeveritySchema } from './severity';

const DURATION_UNITS = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 } as const;
type DurationUnit = keyof typeof DURATION_UNITS;
const DURATION = 'a duration: an integer and one unit of s, m, h, d, w (e.g. 30s, 2m, 1h, 7d)';

/**
 * A duration written as an integer and one unit (`30s`, `2m`, `1h`, `7d`,
 * `1w`), parsed to whole seconds.
 *
 * @example
 * DurationSchema.parse('2m') // => 120
 */
export const DurationSchema = z
  .string({ error: (iss) => (iss.input === undefined ? `missing: expected ${DURATION}` : `expected ${DURATION}, got ${iss.input === null ? 'null' : typeof iss.input}`) })
  .regex(/^\d+[smhdw]$/, { error: (iss) => `expected ${DURATION}, got ${JSON.stringify(iss.input)}` })
  .transform((text) => Number(text.slice(0, -1)) * DURATION_UNITS[text.slice(-1) as DurationUnit]);

/**
 * Writes seconds back in the largest unit that divides them evenly; the
 * inverse of {@link DurationSchema} for rule generation.
 *
 * @example
 * formatDuration(3600) // => '1h'
 */
export function formatDuration(seconds: number): string {
  const units = Object.entries(DURATION_UNITS).reverse() as [DurationUnit, number][];
  const [unit, size] = units.find(([, s]) => seconds % s === 0 && seconds > 0) ?? ['s', 1];
  return `${seconds / size}${unit}`;
}

/**
 * What may be done to a model service when its SLO is breached.
 *
 * @example
 * ActionSchema.parse('kill_switch') // => 'kill_switch'
 */
export const ActionSchema = z.enum(['degrade_to_safe_mode', 'route_to_human_review', 'kill_switch', 'rollback']);
/** The type of {@link ActionSchema}. */
export type Action = z.infer<typeof ActionSchema>;

const NonEmpty = z.string().trim().min(1, 'expected a non-empty string');
/** Service and model names end up in the incident key `slo#service#model`. */
const KeyPart = z.string().regex(/^[^\s#]+$/, 'expected a name without spaces or "#"');

/** Checks the regex as the matcher will compile it (anchored). */
function compiles(source: string): boolean {
  try {
    new RegExp(`^(?:${source})$`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Alertmanager label matchers: every `match` label is equal and every
 * `match_re` label fully matches its regex (anchored, like `=~`). A label the
 * alert does not have counts as the empty string, as in Alertmanager.
 *
 * @example
 * { source: 'alertmanager', match: { alertname: 'TTFTHigh' }, match_re: { service: 'support-.*' } }
 */
export const AlertmanagerMatcherSchema = z
  .strictObject({
    source: z.literal('alertmanager'),
    match: z.record(z.string(), z.string()).optional(),
    match_re: z.record(z.string(), z.string().refine(compiles, 'expected a valid regular expression')).optional(),
  })
  .refine((m) => Object.keys({ ...m.match, ...m.match_re }).length > 0, {
    message: 'expected at least one label in match or match_re (an empty matcher would match every alert)',
  });

/**
 * CloudWatch alarm matchers: exactly one of an alarm name (equal to the
 * alarm's name) or an ARN pattern where `*` matches any characters.
 *
 * @example
 * { source: 'cloudwatch', alarm_arn_pattern: 'arn:aws:cloudwatch:*:*:alarm:refusal-*' }
 */
export const CloudWatchMatcherSchema = z
  .strictObject({
    source: z.literal('cloudwatch'),
    alarm_name: NonEmpty.optional(),
    alarm_arn_pattern: z.string().regex(/^arn:/, 'expected an ARN pattern starting with "arn:"').optional(),
  })
  .refine((m) => (m.alarm_name === undefined) !== (m.alarm_arn_pattern === undefined), {
    message: 'expected exactly one of alarm_name or alarm_arn_pattern',
  });

/**
 * One alert identity that maps to an SLO, told apart by `source`.
 *
 * @example
 * AlertMatcherSchema.parse({ source: 'cloudwatch', alarm_name: 'support-bot-ttft-p95-high' })
 */
export const AlertMatcherSchema = z.discriminatedUnion('source', [AlertmanagerMatcherSchema, CloudWatchMatcherSchema]);
/** The type of {@link AlertMatcherSchema}. */
export type AlertMatcher = z.infer<typeof AlertMatcherSchema>;

/**
 * The service level indicator: what is measured, and how. `quantile` is
 * given exactly for `latency_quantile`; `metric` or `query` (or both).
 *
 * @example
 * SliSchema.parse({ name: 'ttft p95', kind: 'latency_quantile', quantile: 0.95, metric: 'llm_ttft_ms', unit: 'ms' })
 */
export const SliSchema = z
  .strictObject({
    name: NonEmpty,
    kind: z.enum(['ratio', 'latency_quantile', 'count', 'gauge']),
    /** Metric name (Prometheus or CloudWatch). */
    metric: NonEmpty.optional(),
    /** PromQL expression, when the SLI is not a single metric. */
    query: NonEmpty.optional(),
    /** Which quantile, for `latency_quantile` (e.g. 0.95). */
    quantile: z.number().gt(0).lt(1).optional(),
    unit: z.enum(['ratio', 'ms', 's', 'count', 'score']),
  })
  .refine((s) => s.metric !== undefined || s.query !== undefined, { message: 'expected metric or query' })
  .refine((s) => (s.kind === 'latency_quantile') === (s.quantile !== undefined), {
    message: 'expected quantile exactly when kind is latency_quantile',
    path: ['quantile'],
  });

/**
 * What good looks like: `gte 0.999` means at least 99.9 % is within the SLO.
 * Whether the target is sane for the SLI's unit is checked by {@link SloSchema}.
 *
 * @example
 * ObjectiveSchema.parse({ comparator: 'lte', target: 500 })
 */
export const ObjectiveSchema = z.strictObject({
  comparator: z.enum(['gte', 'lte', 'eq']),
  target: z.number(),
});

/** Seconds a rollback waits for approval when `approval_timeout` is not set (30 minutes). */
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 1800;

const RollbackSchema = z.strictObject({
  requires_approval: z.boolean(),
  /**
   * How long a rollback that needs approval waits for a decision in Slack
   * before the request expires (recorded, and recovery is then verified on
   * containment alone). Default 30m.
   */
  approval_timeout: DurationSchema.optional(),
});

const EvidenceSchema = z.strictObject({
  uri: z.string().regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/, 'expected a URI with a scheme, e.g. file://corpus/inbox'),
});

const ActionListSchema = z.array(ActionSchema).refine((a) => new Set(a).size === a.length, {
  message: 'expected each action at most once',
});

/**
 * One SLO: its SLI, objective, window, severity, the alerts that map to it
 * and what to do on breach. Checks that the objective is sane for the SLI
 * (ratios within 0..1, whole counts, latency with `lte`, not always met) and
 * that `rollback` settings are given exactly when `rollback` is an action.
 *
 * @example
 * SloSchema.parse(yamlSlo).window // => 3600 for `window: 1h`
 */
export const SloSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'expected a kebab-case id, e.g. ttft-p95')
      .refine((id) => id !== 'default', 'the id "default" is reserved for alerts that match no SLO'),
    description: NonEmpty,
    sli: SliSchema,
    objective: ObjectiveSchema,
    window: DurationSchema,
    severity: SeveritySchema,
    service: KeyPart.optional(),
    model: KeyPart.optional(),
    alerts: z.array(AlertMatcherSchema).min(1, 'expected at least one alert matcher'),
    flap_hold: DurationSchema,
    action_on_breach: ActionListSchema.min(1, 'expected at least one action'),
    rollback: RollbackSchema.optional(),
    evidence: EvidenceSchema.optional(),
    escalation_policy: NonEmpty.optional(),
    /** Link to the runbook responders follow for this SLO (goes on the page and the Slack summary). */
    runbook_url: z.url({ message: 'expected an absolute URL' }).optional(),
  })
  .superRefine((slo, ctx) => {
    checkRollback(slo, ctx);
    const problem = objectiveProblem(slo.sli, slo.objective);
    if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  });
/** The type of {@link SloSchema}. */
export type Slo = z.infer<typeof SloSchema>;

/**
 * What applies to an alert that matches no SLO: it still opens an incident
 * and pages. `action_on_breach` may be empty.
 *
 * @example
 * DefaultPolicySchema.parse({ severity: 'sev2', flap_hold: '2m', action_on_breach: [] })
 */
export const DefaultPolicySchema = z
  .strictObject({
    severity: SeveritySchema,
    flap_hold: DurationSchema,
    action_on_breach: ActionListSchema,
    rollback: RollbackSchema.optional(),
    escalation_policy: NonEmpty.optional(),
  })
  .superRefine(checkRollback);
/** The type of {@link DefaultPolicySchema}. */
export type DefaultPolicy = z.infer<typeof DefaultPolicySchema>;

/**
 * The whole policy file. SLO order matters: the first SLO with a matching
 * alert matcher wins. Checks that SLO ids are unique and that no matcher is
 * repeated in a later SLO (where it could never win).
 *
 * @example
 * PolicySchema.parse(YAML.parse(text)).slos.map((s) => s.id)
 */
export const PolicySchema = z
  .strictObject({
    version: z.literal(1),
    default: DefaultPolicySchema,
    slos: z.array(SloSchema).min(1, 'expected at least one SLO'),
  })
  .superRefine((policy, ctx) => {
    const firstIndex = new Map<string, number>();
    policy.slos.forEach((slo, i) => {
      const first = firstIndex.get(slo.id);
      if (first === undefined) firstIndex.set(slo.id, i);
      else ctx.addIssue({ code: 'custom', path: ['slos', i, 'id'], message: `duplicate id "${slo.id}" (also slos[${first}])` });
    });
    // The first matching SLO wins, so a matcher repeated in a later SLO can never match there.
    const seen = new Map<string, string>();
    policy.slos.forEach((slo, i) =>
      slo.alerts.forEach((matcher, j) => {
        const key = canonical(matcher);
        const earlier = seen.get(key);
        if (earlier) ctx.addIssue({ code: 'custom', path: ['slos', i, 'alerts', j], message: `same matcher as ${earlier}, which comes first and always wins` });
        else seen.set(key, `slos[${i}].alerts[${j}]`);
      }),
    );
  });
/** The type of {@link PolicySchema}. */
export type Policy = z.infer<typeof PolicySchema>;

/** JSON with sorted keys, so that equal matchers written in a different key order compare equal. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

type RollbackHolder = { action_on_breach: Action[]; rollback?: { requires_approval: boolean } };

function checkRollback(p: RollbackHolder, ctx: z.RefinementCtx): void {
  const listed = p.action_on_breach.includes('rollback');
  if (listed && !p.rollback) {
    ctx.addIssue({ code: 'custom', path: ['rollback'], message: 'expected rollback: { requires_approval: true|false } because action_on_breach lists rollback' });
  } else if (!listed && p.rollback) {
    ctx.addIssue({ code: 'custom', path: ['rollback'], message: 'rollback settings given but action_on_breach does not list rollback' });
  }
}

const KIND_UNITS: Record<z.infer<typeof SliSchema>['kind'], readonly string[]> = {
  ratio: ['ratio'],
  latency_quantile: ['ms', 's'],
  count: ['count'],
  gauge: ['ratio', 'ms', 's', 'count', 'score'],
};

/** Why an objective cannot be meant for its SLI (and where), or undefined when it is sane. */
function objectiveProblem(sli: z.infer<typeof SliSchema>, objective: z.infer<typeof ObjectiveSchema>): { path: string[]; message: string } | undefined {
  if (!KIND_UNITS[sli.kind].includes(sli.unit)) {
    return { path: ['sli', 'unit'], message: `expected ${KIND_UNITS[sli.kind].join(' or ')} for kind ${sli.kind}, got ${sli.unit}` };
  }
  if (sli.kind === 'latency_quantile' && objective.comparator !== 'lte') {
    return { path: ['objective', 'comparator'], message: `expected lte for a latency objective (latency must stay below the target), got ${objective.comparator}` };
  }
  const message = targetProblem(sli.unit, objective);
  return message ? { path: ['objective', 'target'], message } : undefined;
}

function targetProblem(unit: z.infer<typeof SliSchema>['unit'], { comparator, target }: z.infer<typeof ObjectiveSchema>): string | undefined {
  if (unit === 'ratio' && (target < 0 || target > 1)) return `expected a ratio between 0 and 1, got ${target} (write 99.9 % as 0.999)`;
  if (unit === 'count' && (!Number.isInteger(target) || target < 0)) return `expected a whole count >= 0, got ${target}`;
  if ((unit === 'ms' || unit === 's') && target <= 0) return `expected a latency > 0, got ${target}`;
  const alwaysMet = (comparator === 'gte' && target === 0 && unit !== 'score') || (comparator === 'lte' && target === 1 && unit === 'ratio');
  return alwaysMet ? `${comparator} ${target} is always met; expected a target that can be breached` : undefined;
}
