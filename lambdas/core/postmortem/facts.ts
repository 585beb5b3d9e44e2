/**
 * The facts of a postmortem, taken from the incident record and its
 * timeline only: phase markers, durations, the error budget the breach
 * consumed, the actions taken on the model (before → after) and who
 * responded. Nothing here is a judgement; what only people know is left to
 * the draft's prompts.
 */
import { ControlSnapshotSchema, type ControlSnapshot, type Incident, type IncidentAction, type IncidentRoles, type TimelineEntry } from '../incident';
import { formatDuration, type Slo } from '../policy/schema';
import { errorBudget, type BudgetKind } from '../sli/burn-rate';

/** The phases of an incident, in the order they normally happen. */
export const PHASES = ['breach began', 'detected', 'paged', 'acknowledged', 'contained', 'mitigated', 'resolved'] as const;
/** One phase of an incident, as listed in {@link PHASES}. */
export type Phase = (typeof PHASES)[number];

/** When one phase was reached (undefined: not recorded) and which record says so. */
export interface PhaseMarker {
  readonly phase: Phase;
  readonly at?: string;
  /** The field or timeline kind the time comes from, e.g. `incident.acknowledgedAt`. */
  readonly source?: string;
}

/**
 * Durations in seconds (undefined when a phase was not reached).
 * - `detect`: breach began → detected (the incident opened)
 * - `acknowledge`: paged → acknowledged (detected → acknowledged when no page went out)
 * - `mitigate`: breach began → mitigated
 * - `resolve`: breach began → resolved
 * - `impact`: breach began → mitigated, or → resolved when never mitigated
 */
export interface PostmortemDurations {
  readonly detect?: number;
  readonly acknowledge?: number;
  readonly mitigate?: number;
  readonly resolve?: number;
  readonly impact?: number;
}

/** How the consumed error budget was estimated. */
export type BudgetEstimate = 'estimate' | 'lower-bound' | 'whole-budget';

/**
 * The share of one SLO window's error budget the breach consumed.
 *
 * Formula (ratio SLOs): consumed = bad fraction × min(impact, window) ÷
 * (error budget × window), assuming the observed value held for the whole
 * impact. Latency SLOs give a lower bound (at least the quantile's tail was
 * slow); SLOs without a budget (never-events, thresholds) spend all of it.
 */
export interface ErrorBudgetConsumed {
  /** 1 = the whole budget of one window; may exceed 1. */
  readonly consumed: number;
  readonly estimate: BudgetEstimate;
  readonly budgetKind: BudgetKind;
  /** Allowed bad fraction of the SLO (0: none). */
  readonly budget: number;
  /** Bad fraction during the breach, when it could be derived. */
  readonly badFraction?: number;
  readonly impactSeconds: number;
  readonly windowSeconds: number;
  /** The formula with the numbers in it, for the document. */
  readonly formula: string;
  /** How the SLO's budget is modelled (one sentence). */
  readonly explanation: string;
}

/** One action taken on the model, with what it changed. */
export interface ActionFact {
  readonly action: IncidentAction['action'];
  readonly model: string;
  readonly at: string;
  readonly by: string;
  readonly before: ControlSnapshot;
  readonly after: ControlSnapshot;
  /** What changed, e.g. `kill switch off → on`, `version v2 → v1`. */
  readonly changes: readonly string[];
  readonly undoneAt?: string;
  readonly undoneBy?: string;
}

/** A person who took part, with the roles they held and what they did. */
export interface Responder {
  /** Slack user id, or `pagerduty:<user>` for a PagerDuty user. */
  readonly id: string;
  readonly roles: readonly (keyof IncidentRoles)[];
  readonly firstSeenAt?: string;
  /** Timeline kinds and actions, in order, without repeats (e.g. `incident.acknowledged`). */
  readonly activities: readonly string[];
}

/** Everything the drafter can say from the record alone. */
export interface PostmortemFacts {
  readonly phases: readonly PhaseMarker[];
  readonly durations: PostmortemDurations;
  /** Undefined without an SLO (unmapped), without an end of impact, or without the value a ratio needs. */
  readonly errorBudget?: ErrorBudgetConsumed;
  /** Why `errorBudget` is undefined, when it is. */
  readonly errorBudgetMissing?: string;
  readonly actions: readonly ActionFact[];
  /** Actions still in effect at the end of the record (not undone; rollbacks excluded). */
  readonly stillInEffect: readonly ActionFact[];
  readonly responders: readonly Responder[];
  /** Timeline entries in time order. */
  readonly timeline: readonly TimelineEntry[];
}

/** Actors that are systems, not people. */
const SYSTEM_ACTORS = new Set(['firebreak', 'alertmanager', 'cloudwatch', 'pagerduty', 'slack', 'system', 'drill', 'burn-rate']);

/** True when a timeline actor or `by` is a person (a Slack user or a PagerDuty user). */
export function isPerson(actor: string): boolean {
  return actor.trim() !== '' && !SYSTEM_ACTORS.has(actor.toLowerCase());
}

const time = (iso: string): number => Date.parse(iso);
const seconds = (from: string | undefined, to: string | undefined): number | undefined =>
  from === undefined || to === undefined || Number.isNaN(time(from)) || Number.isNaN(time(to)) ? undefined : Math.max(0, (time(to) - time(from)) / 1000);

/** The earliest of the candidate times (each with its source). */
function earliest(phase: Phase, candidates: readonly [string | undefined, string][]): PhaseMarker {
  const known = candidates.filter((c): c is [string, string] => c[0] !== undefined && !Number.isNaN(time(c[0])));
  if (known.length === 0) return { phase };
  const [at, source] = known.reduce((a, b) => (time(b[0]) < time(a[0]) ? b : a));
  return { phase, at, source };
}

function firstOfKind(timeline: readonly TimelineEntry[], kinds: readonly string[]): [string | undefined, string] {
  const entry = timeline.find((e) => kinds.includes(e.kind));
  return [entry?.at, `timeline ${entry?.kind ?? kinds[0]}`];
}

/** A timeline entry that records a change of the model (it carries before and after). */
function changeOf(entry: TimelineEntry): { before: ControlSnapshot; after: ControlSnapshot } | undefined {
  if (!entry.kind.startsWith('action.') || entry.kind.endsWith('.undone')) return undefined;
  const before = ControlSnapshotSchema.safeParse(entry.data?.before);
  const after = ControlSnapshotSchema.safeParse(entry.data?.after);
  return before.success && after.success ? { before: before.data, after: after.data } : undefined;
}

function phasesOf(incident: Incident, timeline: readonly TimelineEntry[]): PhaseMarker[] {
  const firstAction = [...(incident.actions ?? [])].sort((a, b) => time(a.at) - time(b.at))[0];
  const firstChange = timeline.find((e) => changeOf(e) !== undefined);
  return [
    { phase: 'breach began', at: incident.breachStartedAt, source: 'incident.breachStartedAt' },
    earliest('detected', [[incident.openedAt, 'incident.openedAt'], firstOfKind(timeline, ['incident.opened'])]),
    earliest('paged', [[incident.page?.triggeredAt, 'incident.page.triggeredAt'], firstOfKind(timeline, ['page.triggered'])]),
    earliest('acknowledged', [[incident.acknowledgedAt, 'incident.acknowledgedAt'], firstOfKind(timeline, ['incident.acknowledged'])]),
    earliest('contained', [[firstAction?.at, `incident.actions (${firstAction?.action ?? 'none'})`], [firstChange?.at, `timeline ${firstChange?.kind ?? 'action.*'}`]]),
    earliest('mitigated', [[incident.mitigatedAt, 'incident.mitigatedAt'], firstOfKind(timeline, ['incident.mitigated'])]),
    earliest('resolved', [[incident.resolvedAt, 'incident.resolvedAt'], firstOfKind(timeline, ['incident.resolved', 'incident.flapped'])]),
  ];
}

const onOff = (b: boolean): string => (b ? 'on' : 'off');

/**
 * What changed between two control states, field by field.
 *
 * @example
 * controlChanges(before, after) // => ['kill switch off → on']
 */
export function controlChanges(before: ControlSnapshot, after: ControlSnapshot): string[] {
  const changes: string[] = [];
  if (before.activeVersion !== after.activeVersion) changes.push(`version ${before.activeVersion} → ${after.activeVersion}`);
  if (before.killSwitch !== after.killSwitch) changes.push(`kill switch ${onOff(before.killSwitch)} → ${onOff(after.killSwitch)}`);
  if (before.safeMode !== after.safeMode) changes.push(`safe mode ${onOff(before.safeMode)} → ${onOff(after.safeMode)}`);
  if (before.humanReview !== after.humanReview) changes.push(`human review ${onOff(before.humanReview)} → ${onOff(after.humanReview)}`);
  return changes;
}

/**
 * A control state in words.
 *
 * @example
 * describeControl(snapshot) // => 'version v1, kill switch off, safe mode off, human review off'
 */
export function describeControl(s: ControlSnapshot): string {
  return `version ${s.activeVersion}, kill switch ${onOff(s.killSwitch)}, safe mode ${onOff(s.safeMode)}, human review ${onOff(s.humanReview)}`;
}

const ACTION_KINDS: readonly IncidentAction['action'][] = ['kill_switch', 'degrade_to_safe_mode', 'route_to_human_review', 'rollback'];

/** The incident's own audit of actions; the timeline's action entries when the incident has none. */
function actionsOf(incident: Incident, timeline: readonly TimelineEntry[]): ActionFact[] {
  const recorded: IncidentAction[] =
    incident.actions && incident.actions.length > 0
      ? incident.actions
      : timeline.flatMap((e) => {
          const change = changeOf(e);
          const action = e.kind.slice('action.'.length) as IncidentAction['action'];
          if (change === undefined || !ACTION_KINDS.includes(action)) return [];
          const by = typeof e.data?.by === 'string' ? e.data.by : e.actor;
          return [{ id: `${incident.id}:${action}`, action, model: incident.key.model, at: e.at, by, ...change }];
        });
  return [...recorded]
    .sort((a, b) => time(a.at) - time(b.at))
    .map((a) => ({
      action: a.action,
      model: a.model,
      at: a.at,
      by: a.by,
      before: a.before,
      after: a.after,
      changes: controlChanges(a.before, a.after),
      ...(a.undoneAt === undefined ? {} : { undoneAt: a.undoneAt }),
      ...(a.undoneBy === undefined ? {} : { undoneBy: a.undoneBy }),
    }));
}

/** Slack mentions in a message, e.g. `<@U42>` in "Invited 2 responder(s): <@U42>, <@U43>". */
const MENTION = /<@([A-Z0-9]+)(?:\|[^>]*)?>/g;

function respondersOf(incident: Incident, timeline: readonly TimelineEntry[], actions: readonly ActionFact[]): Responder[] {
  const people = new Map<string, { roles: Set<keyof IncidentRoles>; firstSeenAt?: string; activities: string[] }>();
  const see = (id: string, at?: string, activity?: string): void => {
    if (!isPerson(id)) return;
    const person = people.get(id) ?? { roles: new Set(), activities: [] };
    if (at !== undefined && (person.firstSeenAt === undefined || time(at) < time(person.firstSeenAt))) person.firstSeenAt = at;
    if (activity !== undefined && !person.activities.includes(activity)) person.activities.push(activity);
    people.set(id, person);
  };
  for (const entry of timeline) {
    see(entry.actor, entry.at, entry.kind);
    if (entry.kind === 'channel.invited') for (const m of entry.message.matchAll(MENTION)) see(m[1], entry.at, 'invited to the channel');
  }
  for (const a of actions) {
    see(a.by, a.at, a.action);
    if (a.undoneBy !== undefined) see(a.undoneBy, a.undoneAt, `${a.action} undone`);
  }
  if (incident.resolution !== undefined) see(incident.resolution.via === 'pagerduty' ? `pagerduty:${incident.resolution.by}` : incident.resolution.by, incident.resolvedAt, 'incident.resolved');
  for (const role of ['commander', 'scribe', 'comms'] as const) {
    const id = incident.roles?.[role];
    if (id === undefined) continue;
    see(id);
    people.get(id)?.roles.add(role);
  }
  return [...people.entries()]
    .map(([id, p]) => ({ id, roles: [...p.roles], activities: p.activities, ...(p.firstSeenAt === undefined ? {} : { firstSeenAt: p.firstSeenAt }) }))
    .sort((a, b) => (a.firstSeenAt === undefined ? 1 : b.firstSeenAt === undefined ? -1 : time(a.firstSeenAt) - time(b.firstSeenAt)));
}

const num = (x: number): string => String(Number(x.toPrecision(4)));
const pct = (x: number): string => `${Number((x * 100).toPrecision(4))} %`;

/**
 * Estimates the share of one SLO window's error budget a breach consumed,
 * from the impact duration and the value the alert observed (assumed to hold
 * for the whole impact). The returned `formula` states how.
 *
 * @example
 * errorBudgetConsumed(refusalSlo, 0.8, 360)?.consumed // => 20 (0.2 bad × 6 min ÷ (0.001 × 1 h))
 */
export function errorBudgetConsumed(slo: Pick<Slo, 'sli' | 'objective' | 'window'>, observedValue: number | undefined, impactSeconds: number): ErrorBudgetConsumed | undefined {
  const budget = errorBudget(slo);
  const windowSeconds = slo.window;
  const counted = Math.min(impactSeconds, windowSeconds);
  const base = { budgetKind: budget.kind, budget: budget.budget, impactSeconds, windowSeconds, explanation: budget.explanation };
  const span = `min(${formatSeconds(impactSeconds)}, ${formatDuration(windowSeconds)})`;
  switch (budget.kind) {
    case 'ratio': {
      if (observedValue === undefined) return undefined;
      const bad = Math.min(1, Math.max(0, slo.objective.comparator === 'gte' ? 1 - observedValue : observedValue));
      const consumed = (bad * counted) / (budget.budget * windowSeconds);
      return {
        ...base,
        consumed,
        estimate: 'estimate',
        badFraction: bad,
        formula: `bad fraction × min(impact, window) ÷ (error budget × window) = ${num(bad)} × ${span} ÷ (${num(budget.budget)} × ${formatDuration(windowSeconds)}) = ${pct(consumed)}; bad fraction = ${slo.objective.comparator === 'gte' ? `1 − observed ${num(observedValue)}` : `observed ${num(observedValue)}`}, assumed constant for the whole impact`,
      };
    }
    case 'latency': {
      const consumed = counted / windowSeconds;
      return {
        ...base,
        consumed,
        estimate: 'lower-bound',
        badFraction: budget.budget,
        formula: `at least: the slowest ${num(budget.budget)} of requests exceeded ${slo.objective.target} ${slo.sli.unit}, so bad fraction ≥ error budget and consumed ≥ min(impact, window) ÷ window = ${span} ÷ ${formatDuration(windowSeconds)} = ${pct(consumed)}`,
      };
    }
    case 'event-count': {
      if (observedValue === undefined) return undefined;
      const consumed = Math.max(0, observedValue) / slo.objective.target;
      return {
        ...base,
        consumed,
        estimate: 'estimate',
        formula: `observed events ÷ events allowed per window = ${num(observedValue)} ÷ ${slo.objective.target} per ${formatDuration(windowSeconds)} = ${pct(consumed)}`,
      };
    }
    case 'never-event':
    case 'threshold':
      return {
        ...base,
        consumed: 1,
        estimate: 'whole-budget',
        formula: `the SLO has no error budget (${budget.kind === 'never-event' ? 'a never-event' : 'a threshold'}): any breach spends all of it = 100 %; out of objective for ${span} of the ${formatDuration(windowSeconds)} window`,
      };
  }
}

/**
 * A duration for people: `0.5 s`, `42 s`, `4 min 05 s`, `1 h 02 min`, `2 d 3 h`.
 *
 * @example
 * formatSeconds(245) // => '4 min 05 s'
 */
export function formatSeconds(total: number): string {
  if (total < 10) return `${Math.floor(total * 10) / 10} s`;
  const s = Math.floor(total);
  if (s < 60) return `${s} s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 3_600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)} h ${pad(Math.floor((s % 3_600) / 60))} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3_600)} h`;
}

/**
 * The facts of a postmortem from the incident, its timeline and (when the
 * incident is mapped) its SLO.
 *
 * @example
 * const facts = postmortemFacts(incident, timeline, slo);
 * facts.durations.detect // => 5 (seconds from breach start to the incident opening)
 */
export function postmortemFacts(incident: Incident, timeline: readonly TimelineEntry[], slo?: Pick<Slo, 'sli' | 'objective' | 'window'>): PostmortemFacts {
  const ordered = [...timeline].sort((a, b) => time(a.at) - time(b.at));
  const phases = phasesOf(incident, ordered);
  const at = (phase: Phase): string | undefined => phases.find((p) => p.phase === phase)?.at;
  const impactEnd = at('mitigated') ?? at('resolved');
  const durations: PostmortemDurations = {
    detect: seconds(at('breach began'), at('detected')),
    acknowledge: seconds(at('paged') ?? at('detected'), at('acknowledged')),
    mitigate: seconds(at('breach began'), at('mitigated')),
    resolve: seconds(at('breach began'), at('resolved')),
    impact: seconds(at('breach began'), impactEnd),
  };
  const actions = actionsOf(incident, ordered);
  let budget: ErrorBudgetConsumed | undefined;
  let missing: string | undefined;
  if (slo === undefined) missing = 'the alert matched no SLO, so there is no error budget to measure';
  else if (durations.impact === undefined) missing = 'the impact has not ended (neither mitigated nor resolved)';
  else {
    budget = errorBudgetConsumed(slo, incident.observedValue, durations.impact);
    if (budget === undefined) missing = 'the alert reported no observed value to estimate the bad fraction from';
  }
  return {
    phases,
    durations,
    ...(budget === undefined ? {} : { errorBudget: budget }),
    ...(missing === undefined ? {} : { errorBudgetMissing: missing }),
    actions,
    stillInEffect: actions.filter((a) => a.undoneAt === undefined && a.action !== 'rollback' && a.changes.length > 0),
    responders: respondersOf(incident, ordered, actions),
    timeline: ordered,
  };
}
