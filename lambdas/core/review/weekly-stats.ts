/**
 * The figures of the weekly postmortem review, computed from incident
 * records, the SLO policy, regression cases and postmortem action items.
 * Pure: the caller loads the records; nothing here reads a clock.
 *
 * Definitions (the rendered review states them too):
 *
 * - An incident belongs to the ISO week in which it was opened (`openedAt`
 *   in [Monday 00:00 UTC, next Monday 00:00 UTC)).
 * - `flapped` incidents are not incidents: the breach cleared within its flap
 *   hold, before anyone was paged. They are counted separately (`flapped`)
 *   and left out of every other figure: counts by SLO, severity and family,
 *   timings, error budget, repeat families.
 * - Only what was known at `now` counts: a milestone stamped after `now`, and
 *   a case created after `now`, are treated as not there yet.
 * - Time to detect (TTD) = `confirmedAt − breachStartedAt` (breach start to
 *   the breach being confirmed and paged); time to acknowledge (TTA) =
 *   `acknowledgedAt − confirmedAt` (page to acknowledgement); time to resolve
 *   (TTR) = `resolvedAt − breachStartedAt`. An incident that has not reached
 *   the milestone is not in that sample. A negative difference (clock skew)
 *   counts as 0.
 * - Median and p90 use the nearest-rank method: with the n values sorted
 *   ascending, the p-th percentile is the value at rank ⌈p/100 × n⌉ (1-based).
 *   The median is the 50th percentile, so for an even n it is the lower of the
 *   two middle values (never an average). No values: `null`.
 * - Attack family of an incident = `category/technique` of the regression
 *   cases harvested for it (cases whose `source.incident_ids` name it); an
 *   incident may have several families, or none (unclassified).
 * - A repeat family is a family of an incident of the week for which a case
 *   already existed (`created_at` before the incident's `openedAt`): the
 *   family recurred despite the corpus covering it.
 * - Error budget: see {@link ErrorBudget}.
 */
import { z } from 'zod';
import { InvalidInputError } from '../errors';
import type { Incident } from '../incident';
import type { Slo } from '../policy/schema';
import { SeveritySchema, type Severity } from '../policy/severity';
import { toInputIssues } from '../alerts/zod-issues';
import { isoWeekEnd, isoWeekStart, parseIsoWeek, previousIsoWeeks } from './iso-week';

const DAY_SECONDS = 86_400;

/** How many weeks before the reviewed week its figures are compared with. */
export const BASELINE_WEEKS = 4;

/** Default error-budget period: 28 days (the reviewed week and the three before it). */
export const DEFAULT_BUDGET_PERIOD_SECONDS = 28 * DAY_SECONDS;

/** Default share of the period a threshold objective must hold (see {@link ErrorBudget}). */
export const DEFAULT_THRESHOLD_COMPLIANCE = 0.999;

const Timestamp = z.string().refine((text) => !Number.isNaN(Date.parse(text)), { message: 'expected an ISO-8601 timestamp' });

/**
 * What the review needs of a regression case (`corpus/` record): its id,
 * creation time, status, taxonomy and the incidents it was harvested from.
 * Every other field (the redacted prompt turns in particular) is dropped
 * when parsed, so that no prompt text can reach the review.
 *
 * @example
 * ReviewCaseSchema.parse(caseRecord).taxonomy.technique // => 'roleplay'
 */
export const ReviewCaseSchema = z.object({
  id: z.string().min(1),
  created_at: Timestamp,
  status: z.string().min(1),
  taxonomy: z.object({ owasp: z.string(), category: z.string(), technique: z.string() }),
  source: z.object({ incident_ids: z.array(z.string()), first_seen: Timestamp }),
});
/** What the review reads of a regression case; see {@link ReviewCaseSchema}. */
export type ReviewCase = z.infer<typeof ReviewCaseSchema>;

/**
 * A postmortem action item: what to do about an incident, and whether it is
 * done.
 *
 * @example
 * ReviewActionItemSchema.parse({ incidentId: 'inc-20261121-5f2a9c1e', type: 'prevent', description: 'Add the probe to the canary set', status: 'open' })
 */
export const ReviewActionItemSchema = z.object({
  incidentId: z.string().min(1),
  type: z.enum(['mitigate', 'prevent', 'process']),
  description: z.string(),
  owner: z.string().optional(),
  ticket: z.string().optional(),
  status: z.enum(['open', 'done']),
});
/** A postmortem action item with its incident; see {@link ReviewActionItemSchema}. */
export type ReviewActionItem = z.infer<typeof ReviewActionItemSchema>;
/** Kind of action item. */
export type ReviewActionItemType = ReviewActionItem['type'];

/** What the review needs of an SLO of the policy (a policy `Slo` fits). */
export type ReviewSlo = Pick<Slo, 'id' | 'objective' | 'window'> & { readonly sli: Pick<Slo['sli'], 'kind' | 'unit'> };

/** Inputs of {@link weeklyReviewStats}. */
export interface WeeklyReviewInput {
  /** The reviewed ISO week, `YYYY-Www`. */
  readonly week: string;
  /** Incidents of any period: the ones that matter are picked out. */
  readonly incidents: readonly Incident[];
  /** The policy's SLOs: every one gets an error budget line. */
  readonly slos: readonly ReviewSlo[];
  /** Regression cases (validated with {@link ReviewCaseSchema}). */
  readonly cases: readonly unknown[];
  /** Postmortem action items (validated with {@link ReviewActionItemSchema}). */
  readonly actionItems: readonly unknown[];
  /** The moment the review is made: nothing later counts. */
  readonly now: Date;
  /** Error-budget period in seconds (at least the SLO window is used). @default 28 days */
  readonly budgetPeriodSeconds?: number;
  /** Share of the period a threshold objective must hold. @default 0.999 */
  readonly thresholdCompliance?: number;
}

/** Count, nearest-rank median and nearest-rank p90 of a sample of durations, in seconds. */
export interface DurationSummary {
  readonly count: number;
  readonly median: number | null;
  readonly p90: number | null;
}

/** Response times of a set of incidents. */
export interface ResponseTimes {
  /** Time to detect: breach start → confirmed (paged). */
  readonly ttd: DurationSummary;
  /** Time to acknowledge: confirmed (paged) → acknowledged. */
  readonly tta: DurationSummary;
  /** Time to resolve: breach start → resolved. */
  readonly ttr: DurationSummary;
}

/** Figures of one week. */
export interface WeekFigures extends ResponseTimes {
  readonly week: string;
  /** Monday 00:00 UTC, ISO timestamp (inclusive). */
  readonly start: string;
  /** Next Monday 00:00 UTC, ISO timestamp (exclusive). */
  readonly end: string;
  /** Incidents opened in the week, flaps excluded. */
  readonly incidents: number;
  /** Flaps opened in the week (not incidents). */
  readonly flapped: number;
  /** Incidents of the week not resolved at `now`. */
  readonly unresolved: number;
}

/** The previous weeks taken together: the baseline the week is compared with. */
export interface BaselineFigures extends ResponseTimes {
  readonly weeks: readonly string[];
  readonly incidents: number;
  /** Mean incidents per week over the baseline weeks. */
  readonly incidentsPerWeek: number;
}

/** An attack family: the category and technique of a regression case's taxonomy. */
export interface AttackFamily {
  readonly category: string;
  readonly technique: string;
}

/** Incidents of the week per attack family. */
export interface FamilyCount extends AttackFamily {
  /** `category/technique`. */
  readonly key: string;
  readonly incidents: number;
  /** OWASP LLM Top 10 ids seen on the family's cases for these incidents, sorted. */
  readonly owasp: readonly string[];
}

/** A family that came back this week although the corpus already had cases for it. */
export interface RepeatFamily extends AttackFamily {
  readonly key: string;
  /** Incidents of the week with this family that opened after a case of it existed, sorted. */
  readonly incidentIds: readonly string[];
  /** Cases of the family created before one of those incidents opened, sorted. */
  readonly priorCaseIds: readonly string[];
  /** When the first of those cases was created. */
  readonly firstCaseCreatedAt: string;
}

/**
 * Error budget of one SLO over the period that ends with the reviewed week.
 *
 *     budget    B = a × P
 *     consumed  C = length of the union of the SLO's breach intervals inside the period
 *     left        = max(0, B − C); remainingFraction = left / B (1 when B = 0 and C = 0)
 *
 * - P, the period: `max(SLO window, budgetPeriodSeconds)` (default 28 days)
 *   ending at the end of the reviewed week. The policy's `window` is the
 *   SLI's evaluation window (often 1 h), too short to budget a week over.
 * - a, the share of P that may be in breach (`basis`):
 *   - `ratio-target`: a ratio SLI with `gte` target t in (0, 1): a = 1 − t;
 *   - `never-event`: a count SLI with objective `eq 0` or `lte 0`: a = 0, so
 *     any breach exhausts the budget;
 *   - `threshold`: any other objective (latency, gauge, count threshold):
 *     a = 1 − thresholdCompliance (default 0.999).
 * - A breach interval of an incident (flaps excluded) runs from
 *   `breachStartedAt` to when the SLI recovered: `mitigatedAt` (recovery
 *   verified), else `resolvedAt`; still open or acknowledged: until `now`.
 *   Intervals are cut to the period and to `now`, and overlapping ones
 *   (several services on one SLO) count once.
 *
 * This is an estimate from incident records, not from the SLI series:
 * breaches shorter than the flap hold are not in it.
 */
export interface ErrorBudget {
  readonly slo: string;
  /** The objective as written in the policy, e.g. `gte 0.999`. */
  readonly objective: string;
  readonly basis: 'ratio-target' | 'never-event' | 'threshold';
  /** a: the share of the period that may be in breach. */
  readonly allowedFraction: number;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly periodSeconds: number;
  readonly budgetSeconds: number;
  readonly consumedSeconds: number;
  readonly remainingSeconds: number;
  /** Left, as a share of the budget, in [0, 1]. */
  readonly remainingFraction: number;
  /** How far consumption went past the budget (0 when within). */
  readonly overspentSeconds: number;
  /** True when something was consumed and nothing is left. */
  readonly exhausted: boolean;
  /** Incidents whose breach overlaps the period. */
  readonly incidents: number;
}

/** A regression case created in the reviewed week (ids and taxonomy only). */
export interface NewCase {
  readonly id: string;
  readonly createdAt: string;
  readonly status: string;
  readonly taxonomy: ReviewCase['taxonomy'];
  readonly incidentIds: readonly string[];
}

/** Action items of the postmortems. */
export interface ActionItemFigures {
  /** Open items, sorted by incident id, type and description. */
  readonly open: readonly ReviewActionItem[];
  readonly openByType: Readonly<Record<ReviewActionItemType, number>>;
  readonly done: number;
}

/** Everything the weekly review shows. */
export interface WeeklyReviewStats {
  readonly week: string;
  /** Monday 00:00 UTC (inclusive). */
  readonly start: string;
  /** Next Monday 00:00 UTC (exclusive). */
  readonly end: string;
  /** `now` of the input. */
  readonly generatedAt: string;
  /** Incidents of the week (flaps excluded). */
  readonly incidents: {
    readonly total: number;
    readonly flapped: number;
    readonly unresolved: number;
    /** Per `key.slo` (`default` for unmapped alerts), most first, then by id. */
    readonly bySlo: readonly { readonly slo: string; readonly incidents: number }[];
    /** Every severity, SEV1 first, zeros included. */
    readonly bySeverity: readonly { readonly severity: Severity; readonly incidents: number }[];
    /** Per attack family, most first; an incident with several families counts in each. */
    readonly byFamily: readonly FamilyCount[];
    /** Incidents with no harvested case. */
    readonly unclassified: number;
    /** Ids, sorted. */
    readonly ids: readonly string[];
  };
  /** The previous four weeks and the reviewed week, oldest first (the last one is the reviewed week). */
  readonly weeks: readonly WeekFigures[];
  /** The previous four weeks pooled. */
  readonly baseline: BaselineFigures;
  /** One per SLO of the policy, in policy order. */
  readonly budgets: readonly ErrorBudget[];
  readonly budgetPolicy: { readonly periodSeconds: number; readonly thresholdCompliance: number };
  /** Most incidents first, then by key. */
  readonly repeatFamilies: readonly RepeatFamily[];
  readonly actionItems: ActionItemFigures;
  /** Cases created in the week, oldest first. */
  readonly newCases: readonly NewCase[];
}

/**
 * Nearest-rank percentile: the value at rank ⌈p/100 × n⌉ of the values
 * sorted ascending; `null` when there are none.
 *
 * @example
 * nearestRank([4, 1, 3, 2], 50) // => 2
 * nearestRank([4, 1, 3, 2], 90) // => 4
 */
export function nearestRank(values: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`expected a percentile in (0, 100], got ${p}`);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  // p × n / 100 rather than p / 100 × n: the product is exact, so an exact rank is not rounded up.
  return sorted[Math.ceil((p * sorted.length) / 100) - 1];
}

/**
 * The weekly review's figures for `input.week`.
 *
 * @throws InvalidInputError when the week is not an ISO week, `now` is not a
 *   date, or a case or action item does not have the expected shape.
 * @example
 * const stats = weeklyReviewStats({ week: '2026-W47', incidents, slos: policy.slos, cases, actionItems, now: new Date() });
 * stats.weeks.at(-1)?.ttr.median // seconds, or null
 */
export function weeklyReviewStats(input: WeeklyReviewInput): WeeklyReviewStats {
  parseIsoWeek(input.week);
  const now = input.now.getTime();
  if (Number.isNaN(now)) throw new InvalidInputError('weekly review input', [{ path: 'now', message: 'expected a valid date' }]);
  const cases = parseAll(ReviewCaseSchema, input.cases, 'cases').filter((c) => Date.parse(c.created_at) <= now);
  const actionItems = parseAll(ReviewActionItemSchema, input.actionItems, 'actionItems');
  const budgetPeriodSeconds = input.budgetPeriodSeconds ?? DEFAULT_BUDGET_PERIOD_SECONDS;
  const thresholdCompliance = input.thresholdCompliance ?? DEFAULT_THRESHOLD_COMPLIANCE;
  if (!(budgetPeriodSeconds > 0)) throw new InvalidInputError('weekly review input', [{ path: 'budgetPeriodSeconds', message: 'expected a number of seconds > 0' }]);
  if (!(thresholdCompliance > 0 && thresholdCompliance <= 1)) {
    throw new InvalidInputError('weekly review input', [{ path: 'thresholdCompliance', message: 'expected a share in (0, 1]' }]);
  }

  const known = input.incidents.filter((i) => Date.parse(i.openedAt) <= now);
  const weekIds = [...previousIsoWeeks(input.week, BASELINE_WEEKS), input.week];
  const weeks = weekIds.map((week) => weekFigures(week, known, now));
  const current = weeks[weeks.length - 1];
  const thisWeek = incidentsOf(input.week, known).filter(isRealIncident);
  const baselineIncidents = weekIds.slice(0, -1).flatMap((week) => incidentsOf(week, known).filter(isRealIncident));
  const casesByIncident = indexCases(cases);

  return {
    week: input.week,
    start: current.start,
    end: current.end,
    generatedAt: input.now.toISOString(),
    incidents: {
      total: thisWeek.length,
      flapped: current.flapped,
      unresolved: current.unresolved,
      bySlo: countBy(thisWeek.map((i) => i.key.slo)).map(([slo, incidents]) => ({ slo, incidents })),
      bySeverity: SeveritySchema.options.map((severity) => ({ severity, incidents: thisWeek.filter((i) => i.severity === severity).length })),
      byFamily: familyCounts(thisWeek, casesByIncident),
      unclassified: thisWeek.filter((i) => (casesByIncident.get(i.id) ?? []).length === 0).length,
      ids: thisWeek.map((i) => i.id).sort(),
    },
    weeks,
    baseline: {
      weeks: weekIds.slice(0, -1),
      incidents: baselineIncidents.length,
      incidentsPerWeek: baselineIncidents.length / BASELINE_WEEKS,
      ...responseTimes(baselineIncidents, now),
    },
    budgets: input.slos.map((slo) => errorBudget(slo, known, isoWeekEnd(input.week).getTime(), now, budgetPeriodSeconds, thresholdCompliance)),
    budgetPolicy: { periodSeconds: budgetPeriodSeconds, thresholdCompliance },
    repeatFamilies: repeatFamilies(thisWeek, cases, casesByIncident),
    actionItems: actionItemFigures(actionItems),
    newCases: newCases(cases, Date.parse(current.start), Date.parse(current.end)),
  };
}

/**
 * The short summary the `/reviews/weekly` route answers with: incidents of
 * the week and the medians of time to acknowledge and to resolve, in seconds.
 *
 * @example
 * reviewSummary(stats) // => { incidents: 5, mtta: 240, mttr: 5400 }
 */
export function reviewSummary(stats: WeeklyReviewStats): { incidents: number; mtta: number | null; mttr: number | null } {
  const current = stats.weeks[stats.weeks.length - 1];
  return { incidents: stats.incidents.total, mtta: current.tta.median, mttr: current.ttr.median };
}

function parseAll<S extends z.ZodType>(schema: S, values: readonly unknown[], path: string): z.output<S>[] {
  const result = z.array(schema).safeParse(values);
  if (!result.success) throw new InvalidInputError('weekly review input', toInputIssues(result.error, path), { cause: result.error });
  return result.data;
}

function isRealIncident(incident: Incident): boolean {
  return incident.status !== 'flapped';
}

/** Incidents (flaps included) opened within the week. */
function incidentsOf(week: string, incidents: readonly Incident[]): Incident[] {
  const start = isoWeekStart(week).getTime();
  const end = isoWeekEnd(week).getTime();
  return incidents.filter((i) => {
    const opened = Date.parse(i.openedAt);
    return opened >= start && opened < end;
  });
}

/** A milestone's time, when it was stamped no later than `now`. */
function milestone(iso: string | undefined, now: number): number | undefined {
  if (iso === undefined) return undefined;
  const at = Date.parse(iso);
  return at <= now ? at : undefined;
}

function weekFigures(week: string, incidents: readonly Incident[], now: number): WeekFigures {
  const all = incidentsOf(week, incidents);
  const real = all.filter(isRealIncident);
  return {
    week,
    start: isoWeekStart(week).toISOString(),
    end: isoWeekEnd(week).toISOString(),
    incidents: real.length,
    flapped: all.length - real.length,
    unresolved: real.filter((i) => milestone(i.resolvedAt, now) === undefined).length,
    ...responseTimes(real, now),
  };
}

function responseTimes(incidents: readonly Incident[], now: number): ResponseTimes {
  const ttd: number[] = [];
  const tta: number[] = [];
  const ttr: number[] = [];
  for (const incident of incidents) {
    const breach = Date.parse(incident.breachStartedAt);
    const confirmed = milestone(incident.confirmedAt, now);
    const acknowledged = milestone(incident.acknowledgedAt, now);
    const resolved = milestone(incident.resolvedAt, now);
    if (confirmed !== undefined) ttd.push(seconds(confirmed - breach));
    if (confirmed !== undefined && acknowledged !== undefined) tta.push(seconds(acknowledged - confirmed));
    if (resolved !== undefined) ttr.push(seconds(resolved - breach));
  }
  return { ttd: summarize(ttd), tta: summarize(tta), ttr: summarize(ttr) };
}

function seconds(ms: number): number {
  return Math.max(0, ms) / 1000;
}

function summarize(values: readonly number[]): DurationSummary {
  return { count: values.length, median: nearestRank(values, 50), p90: nearestRank(values, 90) };
}

/** [value, count] pairs, most first, then by value. */
function countBy(values: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].sort(([a, x], [b, y]) => y - x || compare(a, b));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function familyKey(family: AttackFamily): string {
  return `${family.category}/${family.technique}`;
}

function indexCases(cases: readonly ReviewCase[]): Map<string, ReviewCase[]> {
  const byIncident = new Map<string, ReviewCase[]>();
  for (const c of cases) {
    for (const id of new Set(c.source.incident_ids)) byIncident.set(id, [...(byIncident.get(id) ?? []), c]);
  }
  return byIncident;
}

function familyCounts(incidents: readonly Incident[], casesByIncident: Map<string, ReviewCase[]>): FamilyCount[] {
  const families = new Map<string, { family: AttackFamily; incidents: Set<string>; owasp: Set<string> }>();
  for (const incident of incidents) {
    for (const c of casesByIncident.get(incident.id) ?? []) {
      const key = familyKey(c.taxonomy);
      const entry = families.get(key) ?? { family: { category: c.taxonomy.category, technique: c.taxonomy.technique }, incidents: new Set(), owasp: new Set() };
      entry.incidents.add(incident.id);
      if (c.taxonomy.owasp !== '') entry.owasp.add(c.taxonomy.owasp);
      families.set(key, entry);
    }
  }
  return [...families]
    .map(([key, e]) => ({ ...e.family, key, incidents: e.incidents.size, owasp: [...e.owasp].sort() }))
    .sort((a, b) => b.incidents - a.incidents || compare(a.key, b.key));
}

function repeatFamilies(incidents: readonly Incident[], cases: readonly ReviewCase[], casesByIncident: Map<string, ReviewCase[]>): RepeatFamily[] {
  const repeats = new Map<string, { family: AttackFamily; incidents: Set<string>; prior: Map<string, string> }>();
  for (const incident of incidents) {
    const opened = Date.parse(incident.openedAt);
    const keys = new Set((casesByIncident.get(incident.id) ?? []).map((c) => familyKey(c.taxonomy)));
    for (const key of keys) {
      const prior = cases.filter((c) => familyKey(c.taxonomy) === key && Date.parse(c.created_at) < opened);
      if (prior.length === 0) continue;
      const entry = repeats.get(key) ?? { family: { category: prior[0].taxonomy.category, technique: prior[0].taxonomy.technique }, incidents: new Set(), prior: new Map() };
      entry.incidents.add(incident.id);
      for (const c of prior) entry.prior.set(c.id, c.created_at);
      repeats.set(key, entry);
    }
  }
  return [...repeats]
    .map(([key, e]) => ({
      ...e.family,
      key,
      incidentIds: [...e.incidents].sort(),
      priorCaseIds: [...e.prior.keys()].sort(),
      firstCaseCreatedAt: new Date(Math.min(...[...e.prior.values()].map((t) => Date.parse(t)))).toISOString(),
    }))
    .sort((a, b) => b.incidentIds.length - a.incidentIds.length || compare(a.key, b.key));
}

function budgetBasis(slo: ReviewSlo, thresholdCompliance: number): { basis: ErrorBudget['basis']; allowedFraction: number } {
  const { comparator, target } = slo.objective;
  if (slo.sli.kind === 'ratio' && comparator === 'gte' && target > 0 && target < 1) return { basis: 'ratio-target', allowedFraction: 1 - target };
  if (slo.sli.kind === 'count' && (comparator === 'eq' || comparator === 'lte') && target === 0) return { basis: 'never-event', allowedFraction: 0 };
  return { basis: 'threshold', allowedFraction: 1 - thresholdCompliance };
}

/** When the SLI recovered from the incident's breach (see {@link ErrorBudget}), or `now` while it lasts. */
function breachEnd(incident: Incident, now: number): number {
  if (incident.status === 'open' || incident.status === 'acknowledged') return now;
  return milestone(incident.mitigatedAt, now) ?? milestone(incident.resolvedAt, now) ?? now;
}

function errorBudget(slo: ReviewSlo, incidents: readonly Incident[], periodEnd: number, now: number, periodSetting: number, thresholdCompliance: number): ErrorBudget {
  const periodSeconds = Math.max(slo.window, periodSetting);
  const periodStart = periodEnd - periodSeconds * 1000;
  const cutoff = Math.min(periodEnd, now);
  const intervals: [number, number][] = [];
  for (const incident of incidents) {
    if (incident.key.slo !== slo.id || !isRealIncident(incident)) continue;
    const start = Math.max(Date.parse(incident.breachStartedAt), periodStart);
    const end = Math.min(breachEnd(incident, now), cutoff);
    if (end > start) intervals.push([start, end]);
  }
  const consumedSeconds = unionLength(intervals) / 1000;
  const { basis, allowedFraction } = budgetBasis(slo, thresholdCompliance);
  const budgetSeconds = allowedFraction * periodSeconds;
  const remainingSeconds = Math.max(0, budgetSeconds - consumedSeconds);
  return {
    slo: slo.id,
    objective: `${slo.objective.comparator} ${slo.objective.target}`,
    basis,
    allowedFraction,
    periodStart: new Date(periodStart).toISOString(),
    periodEnd: new Date(periodEnd).toISOString(),
    periodSeconds,
    budgetSeconds,
    consumedSeconds,
    remainingSeconds,
    remainingFraction: budgetSeconds > 0 ? remainingSeconds / budgetSeconds : consumedSeconds > 0 ? 0 : 1,
    overspentSeconds: Math.max(0, consumedSeconds - budgetSeconds),
    exhausted: consumedSeconds > 0 && consumedSeconds >= budgetSeconds,
    incidents: intervals.length,
  };
}

/** Total length covered by the intervals, overlaps counted once. */
function unionLength(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let current: [number, number] | undefined;
  for (const [start, end] of sorted) {
    if (current === undefined || start > current[1]) {
      if (current !== undefined) total += current[1] - current[0];
      current = [start, end];
    } else current[1] = Math.max(current[1], end);
  }
  return current === undefined ? total : total + current[1] - current[0];
}

function actionItemFigures(items: readonly ReviewActionItem[]): ActionItemFigures {
  const open = items
    .filter((i) => i.status === 'open')
    .sort((a, b) => compare(a.incidentId, b.incidentId) || compare(a.type, b.type) || compare(a.description, b.description));
  const openByType: Record<ReviewActionItemType, number> = { mitigate: 0, prevent: 0, process: 0 };
  for (const item of open) openByType[item.type] += 1;
  return { open, openByType, done: items.length - open.length };
}

function newCases(cases: readonly ReviewCase[], start: number, end: number): NewCase[] {
  return cases
    .filter((c) => {
      const created = Date.parse(c.created_at);
      return created >= start && created < end;
    })
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || compare(a.id, b.id))
    .map((c) => ({ id: c.id, createdAt: c.created_at, status: c.status, taxonomy: c.taxonomy, incidentIds: [...new Set(c.source.incident_ids)].sort() }));
}
