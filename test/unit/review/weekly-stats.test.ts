import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../../../lambdas/core/errors';
import { isoWeek, type Incident, type IncidentStatus } from '../../../lambdas/core/incident';
import { parsePolicy } from '../../../lambdas/core/policy/load';
import type { Severity } from '../../../lambdas/core/policy/severity';
import {
  nearestRank,
  reviewSummary,
  weeklyReviewStats,
  type ReviewActionItem,
  type ReviewCase,
  type ReviewSlo,
  type WeeklyReviewStats,
} from '../../../lambdas/core/review/weekly-stats';
import { makeIncident } from '../../support/incidents';

/*
 * The figures are checked against an independent computation written with
 * plain loops from the definitions (week bounds from a hard-coded Monday,
 * percentiles by walking the sorted values, breach time by sweeping over
 * elementary segments), on a month and a half of generated incidents.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const policy = parsePolicy(readFileSync(join(__dirname, '../../../runbooks/slos.yaml'), 'utf8'), 'runbooks/slos.yaml');
const SLOS: readonly ReviewSlo[] = policy.slos;

/** The share of a 28-day period each shipped SLO may be in breach, worked out by hand from runbooks/slos.yaml. */
const ALLOWED_BY_HAND: Record<string, number> = {
  'adversarial-refusal-rate': 0.001, // ratio, gte 0.999
  'prompt-injection-never-event': 0, // count, eq 0
  'ttft-p95': 0.001, // latency threshold: 99.9 % compliance
  'ood-recall': 0.1, // ratio, gte 0.90
  'calibration-ece': 0.001, // gauge threshold: 99.9 % compliance
};

const SLO_IDS = ['adversarial-refusal-rate', 'prompt-injection-never-event', 'ttft-p95', 'ood-recall', 'calibration-ece', 'default'];
const SEVERITIES: Severity[] = ['sev1', 'sev2', 'sev3', 'sev4'];
const STATUSES: IncidentStatus[] = ['open', 'acknowledged', 'mitigated', 'resolved', 'resolved', 'closed', 'closed', 'closed', 'flapped', 'flapped'];
const FAMILIES = [
  { owasp: 'LLM01:2025', category: 'jailbreak', technique: 'roleplay' },
  { owasp: 'LLM01:2025', category: 'jailbreak', technique: 'dan' },
  { owasp: 'LLM01:2025', category: 'prompt-injection', technique: 'goal-hijacking' },
  { owasp: 'LLM07:2025', category: 'system-prompt-leakage', technique: 'extraction' },
];

/** mulberry32: a small seeded PRNG, so the generated month is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Generated {
  incidents: Incident[];
  cases: ReviewCase[];
  actionItems: ReviewActionItem[];
}

/** Incidents with consistent lifecycles, cases harvested from some of them (some merged into older ones), action items. */
function generate(seed: number, from: number, days: number): Generated {
  const rand = prng(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(rand() * values.length)];
  const iso = (ms: number): string => new Date(ms).toISOString();
  const incidents: Incident[] = [];
  const cases: ReviewCase[] = [];
  const actionItems: ReviewActionItem[] = [];
  let serial = 0;
  const newCase = (created: number, family: (typeof FAMILIES)[number], incidentIds: string[]): ReviewCase => {
    serial += 1;
    const c: ReviewCase = {
      id: `case-${serial.toString(16).padStart(12, '0')}`,
      created_at: iso(created),
      status: pick(['active', 'active', 'quarantined']),
      taxonomy: { ...family },
      source: { incident_ids: incidentIds, first_seen: iso(created - HOUR) },
    };
    cases.push(c);
    return c;
  };
  // Cases that were in the corpus before the generated period.
  for (let i = 0; i < 3; i += 1) newCase(from - (1 + rand() * 20) * DAY, FAMILIES[i], [`inc-20200101-0000000${i}`]);

  for (let day = 0; day < days; day += 1) {
    const count = Math.floor(rand() * 4);
    for (let k = 0; k < count; k += 1) {
      serial += 1;
      const breach = from + day * DAY + Math.floor(rand() * DAY);
      const opened = breach + Math.floor(rand() * 3 * MINUTE);
      const status = pick(STATUSES);
      const slo = pick(SLO_IDS);
      const m: Partial<Incident> = { confirmedAt: undefined, acknowledgedAt: undefined, mitigatedAt: undefined, resolvedAt: undefined, closedAt: undefined };
      const confirmed = opened + Math.floor(rand() * 10 * MINUTE);
      const acked = confirmed + Math.floor(rand() * 40 * MINUTE);
      const mitigated = acked + Math.floor(rand() * 3 * HOUR);
      const resolved = mitigated + Math.floor(rand() * 8 * HOUR);
      if (status === 'flapped') {
        m.resolvedAt = iso(opened + Math.floor(rand() * 2 * MINUTE));
        m.closedAt = m.resolvedAt;
      } else {
        if (status !== 'open' || rand() < 0.8) m.confirmedAt = iso(confirmed);
        if (status === 'acknowledged' || (status !== 'open' && rand() < 0.85)) m.acknowledgedAt = iso(acked);
        if (status === 'mitigated' || ((status === 'resolved' || status === 'closed') && rand() < 0.7)) m.mitigatedAt = iso(mitigated);
        if (status === 'resolved' || status === 'closed') m.resolvedAt = iso(resolved);
        if (status === 'closed') m.closedAt = iso(resolved + HOUR);
      }
      const date = iso(opened).slice(0, 10).replace(/-/g, '');
      const incident = makeIncident({
        id: `inc-${date}-${serial.toString(16).padStart(8, '0')}`,
        key: { slo, service: pick(['support-bot', 'support-bot-eu']), model: 'support-llm' },
        status,
        severity: pick(SEVERITIES),
        mapped: slo !== 'default',
        breachStartedAt: iso(breach),
        openedAt: iso(opened),
        updatedAt: iso(opened),
        flapHoldUntil: iso(opened + 2 * MINUTE),
        week: isoWeek(new Date(opened)),
        ...m,
      });
      incidents.push(incident);

      const harvest = rand();
      if (harvest < 0.5) {
        const n = 1 + Math.floor(rand() * 2);
        for (let c = 0; c < n; c += 1) newCase(opened + Math.floor(rand() * 2 * DAY), pick(FAMILIES), [incident.id]);
      } else if (harvest < 0.65 && cases.length > 0) {
        // An exact duplicate of an older case: merged into it, so the older case now names this incident too.
        pick(cases).source.incident_ids.push(incident.id);
      }
      if (status === 'resolved' || status === 'closed') {
        const n = Math.floor(rand() * 3);
        for (let a = 0; a < n; a += 1) {
          actionItems.push({ incidentId: incident.id, type: pick(['mitigate', 'prevent', 'process'] as const), description: `item ${a} of ${incident.id}`, status: pick(['open', 'done'] as const) });
        }
      }
    }
  }
  return { incidents, cases, actionItems };
}

// ---------------------------------------------------------------------------
// The independent computation.

/** Nearest rank by walking the sorted values: the first value with at least p % of the values at or below it. */
function percentileByWalk(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i += 1) {
    if ((i + 1) * 100 >= p * sorted.length) return sorted[i];
  }
  return sorted[sorted.length - 1];
}

function knownAt(isoText: string | undefined, now: number): number | undefined {
  if (isoText === undefined) return undefined;
  const t = new Date(isoText).getTime();
  return t <= now ? t : undefined;
}

interface ExpectedWeek {
  incidents: number;
  flapped: number;
  unresolved: number;
  ttd: number[];
  tta: number[];
  ttr: number[];
}

function expectedWeek(incidents: Incident[], start: number, now: number): ExpectedWeek {
  const out: ExpectedWeek = { incidents: 0, flapped: 0, unresolved: 0, ttd: [], tta: [], ttr: [] };
  for (const inc of incidents) {
    const opened = new Date(inc.openedAt).getTime();
    if (opened < start || opened >= start + 7 * DAY || opened > now) continue;
    if (inc.status === 'flapped') {
      out.flapped += 1;
      continue;
    }
    out.incidents += 1;
    const breach = new Date(inc.breachStartedAt).getTime();
    const confirmed = knownAt(inc.confirmedAt, now);
    const acked = knownAt(inc.acknowledgedAt, now);
    const resolved = knownAt(inc.resolvedAt, now);
    if (confirmed !== undefined) out.ttd.push(Math.max(0, confirmed - breach) / 1000);
    if (confirmed !== undefined && acked !== undefined) out.tta.push(Math.max(0, acked - confirmed) / 1000);
    if (resolved !== undefined) out.ttr.push(Math.max(0, resolved - breach) / 1000);
    else out.unresolved += 1;
  }
  return out;
}

/** Milliseconds covered by at least one interval within [from, to), by sweeping over elementary segments. */
function coveredMs(intervals: [number, number][], from: number, to: number): number {
  const points = [from, to];
  for (const [s, e] of intervals) points.push(Math.min(Math.max(s, from), to), Math.min(Math.max(e, from), to));
  points.sort((a, b) => a - b);
  let total = 0;
  for (let i = 0; i + 1 < points.length; i += 1) {
    const mid = (points[i] + points[i + 1]) / 2;
    let covered = false;
    for (const [s, e] of intervals) if (s <= mid && mid < e) covered = true;
    if (covered) total += points[i + 1] - points[i];
  }
  return total;
}

function breachEndAt(inc: Incident, now: number): number {
  if (inc.status === 'open' || inc.status === 'acknowledged') return now;
  for (const isoText of [inc.mitigatedAt, inc.resolvedAt]) {
    const t = knownAt(isoText, now);
    if (t !== undefined) return t;
  }
  return now;
}

function familiesOf(incidentId: string, cases: ReviewCase[], now: number): Set<string> {
  const out = new Set<string>();
  for (const c of cases) {
    if (new Date(c.created_at).getTime() > now) continue;
    if (c.source.incident_ids.includes(incidentId)) out.add(`${c.taxonomy.category}/${c.taxonomy.technique}`);
  }
  return out;
}

function summaryOf(values: number[]): { count: number; median: number | null; p90: number | null } {
  return { count: values.length, median: percentileByWalk(values, 50), p90: percentileByWalk(values, 90) };
}

// ---------------------------------------------------------------------------

describe.each([
  {
    name: 'a month before 2026-W47',
    seed: 20261116,
    week: '2026-W47',
    monday: Date.UTC(2026, 10, 16),
    labels: ['2026-W43', '2026-W44', '2026-W45', '2026-W46', '2026-W47'],
    now: Date.UTC(2026, 10, 25, 12, 0, 0), // Wednesday of the week after: later incidents and milestones exist
  },
  {
    name: 'a month across the year boundary before 2027-W01',
    seed: 20270104,
    week: '2027-W01',
    monday: Date.UTC(2027, 0, 4),
    labels: ['2026-W50', '2026-W51', '2026-W52', '2026-W53', '2027-W01'],
    now: Date.UTC(2027, 0, 11, 9, 0, 0), // the Monday review
  },
])('weeklyReviewStats on $name of generated incidents', ({ seed, week, monday, labels, now }) => {
  const data = generate(seed, monday - 6 * 7 * DAY, 8 * 7);
  const stats = weeklyReviewStats({ week, incidents: data.incidents, slos: SLOS, cases: data.cases, actionItems: data.actionItems, now: new Date(now) });
  const weekStarts = [4, 3, 2, 1, 0].map((back) => monday - back * 7 * DAY);
  const thisWeek = data.incidents.filter((i) => {
    const opened = new Date(i.openedAt).getTime();
    return opened >= monday && opened < monday + 7 * DAY && opened <= now && i.status !== 'flapped';
  });

  it('generated enough material for every figure to be exercised', () => {
    expect(thisWeek.length).toBeGreaterThanOrEqual(5);
    expect(data.incidents.some((i) => i.status === 'flapped' && new Date(i.openedAt).getTime() >= monday)).toBe(true);
    expect(stats.repeatFamilies.length).toBeGreaterThan(0);
    expect(stats.newCases.length).toBeGreaterThan(0);
    expect(stats.budgets.some((b) => b.consumedSeconds > 0)).toBe(true);
  });

  it('covers the reviewed week and the four before it, oldest first, with their Monday bounds', () => {
    expect(stats.week).toBe(week);
    expect(stats.weeks.map((w) => w.week)).toEqual(labels);
    expect(stats.weeks.map((w) => w.start)).toEqual(weekStarts.map((s) => new Date(s).toISOString()));
    expect(stats.weeks.map((w) => w.end)).toEqual(weekStarts.map((s) => new Date(s + 7 * DAY).toISOString()));
    expect([stats.start, stats.end]).toEqual([new Date(monday).toISOString(), new Date(monday + 7 * DAY).toISOString()]);
  });

  it('counts incidents, flaps and unresolved incidents per week, and TTD/TTA/TTR median and p90 per week', () => {
    weekStarts.forEach((start, w) => {
      const e = expectedWeek(data.incidents, start, now);
      const got = stats.weeks[w];
      expect({ week: got.week, incidents: got.incidents, flapped: got.flapped, unresolved: got.unresolved }).toEqual({
        week: labels[w],
        incidents: e.incidents,
        flapped: e.flapped,
        unresolved: e.unresolved,
      });
      expect(got.ttd).toEqual(summaryOf(e.ttd));
      expect(got.tta).toEqual(summaryOf(e.tta));
      expect(got.ttr).toEqual(summaryOf(e.ttr));
    });
  });

  it('pools the four previous weeks into the baseline', () => {
    const pooled: ExpectedWeek = { incidents: 0, flapped: 0, unresolved: 0, ttd: [], tta: [], ttr: [] };
    for (const start of weekStarts.slice(0, 4)) {
      const e = expectedWeek(data.incidents, start, now);
      pooled.incidents += e.incidents;
      pooled.ttd.push(...e.ttd);
      pooled.tta.push(...e.tta);
      pooled.ttr.push(...e.ttr);
    }
    expect(stats.baseline.weeks).toEqual(labels.slice(0, 4));
    expect(stats.baseline.incidents).toBe(pooled.incidents);
    expect(stats.baseline.incidentsPerWeek).toBeCloseTo(pooled.incidents / 4, 10);
    expect(stats.baseline.ttd).toEqual(summaryOf(pooled.ttd));
    expect(stats.baseline.tta).toEqual(summaryOf(pooled.tta));
    expect(stats.baseline.ttr).toEqual(summaryOf(pooled.ttr));
  });

  it('counts the week by SLO and by severity, flaps excluded', () => {
    const bySlo: Record<string, number> = {};
    const bySeverity: Record<string, number> = { sev1: 0, sev2: 0, sev3: 0, sev4: 0 };
    for (const inc of thisWeek) {
      bySlo[inc.key.slo] = (bySlo[inc.key.slo] ?? 0) + 1;
      bySeverity[inc.severity] += 1;
    }
    expect(stats.incidents.total).toBe(thisWeek.length);
    expect(stats.incidents.ids).toEqual(thisWeek.map((i) => i.id).sort());
    expect(Object.fromEntries(stats.incidents.bySlo.map((s) => [s.slo, s.incidents]))).toEqual(bySlo);
    const counts = stats.incidents.bySlo.map((s) => s.incidents);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(stats.incidents.bySeverity).toEqual(SEVERITIES.map((severity) => ({ severity, incidents: bySeverity[severity] })));
  });

  it('counts the week by attack family of the harvested cases, with the unclassified rest', () => {
    const byFamily: Record<string, number> = {};
    let unclassified = 0;
    for (const inc of thisWeek) {
      const families = familiesOf(inc.id, data.cases, now);
      if (families.size === 0) unclassified += 1;
      for (const f of families) byFamily[f] = (byFamily[f] ?? 0) + 1;
    }
    expect(Object.fromEntries(stats.incidents.byFamily.map((f) => [f.key, f.incidents]))).toEqual(byFamily);
    expect(stats.incidents.unclassified).toBe(unclassified);
    for (const f of stats.incidents.byFamily) expect(f.key).toBe(`${f.category}/${f.technique}`);
  });

  it('finds the families that recurred although a case for them existed before the incident opened', () => {
    const expected: Record<string, { incidents: Set<string>; prior: Set<string> }> = {};
    for (const inc of thisWeek) {
      const opened = new Date(inc.openedAt).getTime();
      for (const family of familiesOf(inc.id, data.cases, now)) {
        for (const c of data.cases) {
          if (`${c.taxonomy.category}/${c.taxonomy.technique}` !== family) continue;
          if (new Date(c.created_at).getTime() >= opened) continue;
          expected[family] ??= { incidents: new Set(), prior: new Set() };
          expected[family].incidents.add(inc.id);
          expected[family].prior.add(c.id);
        }
      }
    }
    const got = Object.fromEntries(stats.repeatFamilies.map((f) => [f.key, { incidents: [...f.incidentIds], prior: [...f.priorCaseIds] }]));
    const want = Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, { incidents: [...v.incidents].sort(), prior: [...v.prior].sort() }]));
    expect(got).toEqual(want);
  });

  it('estimates the error budget left per SLO over the 28 days ending with the week', () => {
    const periodEnd = monday + 7 * DAY;
    const periodStart = periodEnd - 28 * DAY;
    expect(stats.budgets.map((b) => b.slo)).toEqual(Object.keys(ALLOWED_BY_HAND));
    for (const budget of stats.budgets) {
      const intervals: [number, number][] = [];
      for (const inc of data.incidents) {
        if (inc.key.slo !== budget.slo || inc.status === 'flapped' || new Date(inc.openedAt).getTime() > now) continue;
        intervals.push([new Date(inc.breachStartedAt).getTime(), breachEndAt(inc, now)]);
      }
      const consumed = coveredMs(intervals, periodStart, Math.min(periodEnd, now)) / 1000;
      const allowed = ALLOWED_BY_HAND[budget.slo];
      const total = allowed * 28 * 86_400;
      const left = total - consumed > 0 ? total - consumed : 0;
      expect(budget.periodStart).toBe(new Date(periodStart).toISOString());
      expect(budget.periodEnd).toBe(new Date(periodEnd).toISOString());
      expect(budget.allowedFraction).toBeCloseTo(allowed, 12);
      expect(budget.budgetSeconds).toBeCloseTo(total, 6);
      expect(budget.consumedSeconds).toBeCloseTo(consumed, 6);
      expect(budget.remainingSeconds).toBeCloseTo(left, 6);
      expect(budget.remainingFraction).toBeCloseTo(total > 0 ? left / total : consumed > 0 ? 0 : 1, 9);
      expect(budget.exhausted).toBe(consumed > 0 && consumed >= total);
    }
  });

  it('lists the cases created in the week, oldest first, by id and taxonomy only', () => {
    const expected = data.cases
      .filter((c) => {
        const t = new Date(c.created_at).getTime();
        return t >= monday && t < monday + 7 * DAY && t <= now;
      })
      .sort((a, b) => new Date(a.created_at).getTime() - new Date(b.created_at).getTime() || (a.id < b.id ? -1 : 1));
    expect(stats.newCases.map((c) => c.id)).toEqual(expected.map((c) => c.id));
    for (const c of stats.newCases) expect(Object.keys(c).sort()).toEqual(['createdAt', 'id', 'incidentIds', 'status', 'taxonomy']);
  });

  it('lists every open action item and counts them by type', () => {
    const open = data.actionItems.filter((a) => a.status === 'open');
    const byType = { mitigate: 0, prevent: 0, process: 0 };
    for (const item of open) byType[item.type] += 1;
    expect(stats.actionItems.open).toHaveLength(open.length);
    expect(new Set(stats.actionItems.open)).toEqual(new Set(open));
    expect(stats.actionItems.openByType).toEqual(byType);
    expect(stats.actionItems.done).toBe(data.actionItems.length - open.length);
  });

  it('summarises the week for the route as incidents and the TTA and TTR medians', () => {
    const e = expectedWeek(data.incidents, monday, now);
    expect(reviewSummary(stats)).toEqual({ incidents: e.incidents, mtta: percentileByWalk(e.tta, 50), mttr: percentileByWalk(e.ttr, 50) });
  });
});

describe('nearestRank', () => {
  it.each([
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[10, 1, 9, 2, 8, 3, 7, 4, 6, 5, 11], 90, 10],
    [[4, 1, 3, 2], 50, 2],
    [[7], 90, 7],
    [[3, 1], 90, 3],
  ])('takes the value at rank ceil(p/100 × n) of %j for p%i: %i', (values, p, expected) => {
    expect(nearestRank(values, p)).toBe(expected);
  });

  it('is null for no values and refuses a percentile outside (0, 100]', () => {
    expect(nearestRank([], 50)).toBeNull();
    expect(() => nearestRank([1], 0)).toThrow(RangeError);
    expect(() => nearestRank([1], 101)).toThrow(RangeError);
  });
});

describe('weeklyReviewStats definitions', () => {
  const NOW = new Date('2026-11-23T09:00:00.000Z');
  const base = { week: '2026-W47', slos: SLOS, cases: [], actionItems: [], now: NOW };
  const inc = (id: string, overrides: Partial<Incident>): Incident => makeIncident({ id: `inc-20261118-${id}`, ...overrides });

  it('counts a flapped incident only as a flap', () => {
    const stats = weeklyReviewStats({
      ...base,
      incidents: [
        inc('00000001', { status: 'flapped', confirmedAt: undefined, resolvedAt: '2026-11-21T10:01:00.000Z', closedAt: '2026-11-21T10:01:00.000Z' }),
        inc('00000002', { status: 'resolved', acknowledgedAt: '2026-11-21T10:06:05.000Z', resolvedAt: '2026-11-21T11:00:00.000Z' }),
      ],
    });
    expect(stats.incidents).toMatchObject({ total: 1, flapped: 1, ids: ['inc-20261118-00000002'] });
    const current = stats.weeks[4];
    expect(current.ttd).toEqual({ count: 1, median: 125, p90: 125 });
    expect(current.tta).toEqual({ count: 1, median: 240, p90: 240 });
    expect(current.ttr).toEqual({ count: 1, median: 3600, p90: 3600 });
    expect(stats.budgets.find((b) => b.slo === 'adversarial-refusal-rate')?.incidents).toBe(1);
  });

  it('places an incident by openedAt, not by its breach start nor its stored week', () => {
    const stats = weeklyReviewStats({
      ...base,
      incidents: [inc('00000003', { breachStartedAt: '2026-11-15T23:58:00.000Z', openedAt: '2026-11-16T00:00:00.000Z', week: '2026-W46', confirmedAt: '2026-11-16T00:02:00.000Z' })],
    });
    expect(stats.weeks.map((w) => w.incidents)).toEqual([0, 0, 0, 0, 1]);
    expect(stats.weeks[4].ttd.median).toBe(240);
  });

  it('ignores milestones and cases stamped after now', () => {
    const stats = weeklyReviewStats({
      ...base,
      now: new Date('2026-11-21T12:00:00.000Z'),
      incidents: [inc('00000004', { status: 'resolved', acknowledgedAt: '2026-11-21T10:10:00.000Z', resolvedAt: '2026-11-21T13:00:00.000Z' })],
      cases: [{ id: 'case-late', created_at: '2026-11-21T12:30:00.000Z', status: 'active', taxonomy: FAMILIES[0], source: { incident_ids: ['inc-20261118-00000004'], first_seen: '2026-11-21T10:00:00.000Z' } }],
    });
    expect(stats.weeks[4]).toMatchObject({ unresolved: 1, ttr: { count: 0, median: null, p90: null }, tta: { count: 1 } });
    expect(stats.newCases).toEqual([]);
    expect(stats.incidents.unclassified).toBe(1);
  });

  it('spends a ratio SLO budget of (1 − target) × 28 days by the breach time, overlapping breaches once', () => {
    const stats = weeklyReviewStats({
      ...base,
      incidents: [
        // Two services of one SLO in breach 10:00–10:20 and 10:10–10:30: 30 minutes of breach in all.
        inc('00000005', { status: 'resolved', breachStartedAt: '2026-11-18T10:00:00.000Z', openedAt: '2026-11-18T10:00:05.000Z', mitigatedAt: '2026-11-18T10:20:00.000Z', resolvedAt: '2026-11-18T12:00:00.000Z' }),
        inc('00000006', {
          status: 'mitigated',
          key: { slo: 'adversarial-refusal-rate', service: 'support-bot-eu', model: 'support-llm' },
          breachStartedAt: '2026-11-18T10:10:00.000Z',
          openedAt: '2026-11-18T10:10:05.000Z',
          mitigatedAt: '2026-11-18T10:30:00.000Z',
        }),
      ],
    });
    const budget = stats.budgets.find((b) => b.slo === 'adversarial-refusal-rate');
    // 0.001 × 28 × 86 400 s = 2419.2 s; 1800 s spent; 619.2 s left.
    expect(budget).toMatchObject({ basis: 'ratio-target', periodSeconds: 2_419_200, consumedSeconds: 1800, incidents: 2, exhausted: false });
    expect(budget?.budgetSeconds).toBeCloseTo(2419.2, 6);
    expect(budget?.remainingSeconds).toBeCloseTo(619.2, 6);
    expect(budget?.remainingFraction).toBeCloseTo(619.2 / 2419.2, 9);
  });

  it('exhausts a never-event budget with any breach, and leaves untouched SLOs at 100 %', () => {
    const stats = weeklyReviewStats({
      ...base,
      incidents: [inc('00000007', { key: { slo: 'prompt-injection-never-event', service: 'support-bot', model: 'support-llm' }, status: 'acknowledged' })],
    });
    const never = stats.budgets.find((b) => b.slo === 'prompt-injection-never-event');
    expect(never).toMatchObject({ basis: 'never-event', budgetSeconds: 0, remainingFraction: 0, exhausted: true });
    // Still in breach at the end of the week: from 10:00 on the 21st to Monday 00:00.
    expect(never?.consumedSeconds).toBe(38 * 3600);
    expect(never?.overspentSeconds).toBe(38 * 3600);
    expect(stats.budgets.find((b) => b.slo === 'ttft-p95')).toMatchObject({ basis: 'threshold', consumedSeconds: 0, remainingFraction: 1, exhausted: false });
  });

  it('uses the SLO window as the budget period when it is longer than the configured one', () => {
    const stats = weeklyReviewStats({ ...base, incidents: [], budgetPeriodSeconds: 3600 });
    expect(stats.budgets.map((b) => b.periodSeconds)).toEqual([3600, 3600, 3600, 7 * 86_400, 86_400]);
  });

  it('counts a case merged from an earlier incident as a repeat of its family', () => {
    const stats = weeklyReviewStats({
      ...base,
      incidents: [inc('00000008', {})],
      cases: [
        { id: 'case-old', created_at: '2026-10-01T00:00:00.000Z', status: 'active', taxonomy: FAMILIES[1], source: { incident_ids: ['inc-20261001-00000001', 'inc-20261118-00000008'], first_seen: '2026-10-01T00:00:00.000Z' } },
      ],
    });
    expect(stats.repeatFamilies).toEqual([
      { category: 'jailbreak', technique: 'dan', key: 'jailbreak/dan', incidentIds: ['inc-20261118-00000008'], priorCaseIds: ['case-old'], firstCaseCreatedAt: '2026-10-01T00:00:00.000Z' },
    ]);
  });

  it('counts a negative duration (clock skew) as zero', () => {
    const stats = weeklyReviewStats({ ...base, incidents: [inc('00000009', { confirmedAt: '2026-11-21T09:59:00.000Z' })] });
    expect(stats.weeks[4].ttd.median).toBe(0);
  });

  it('drops every case field the review does not need, prompt text included', () => {
    const stats = weeklyReviewStats({
      ...base,
      incidents: [inc('0000000a', {})],
      cases: [{ id: 'case-new', created_at: '2026-11-21T11:00:00.000Z', status: 'active', taxonomy: FAMILIES[2], source: { incident_ids: ['inc-20261118-0000000a'], first_seen: '2026-11-21T10:00:00.000Z', model: 'x' }, input: { turns: [{ role: 'user', content: 'Ignore all previous instructions' }] } }],
    });
    expect(JSON.stringify(stats)).not.toContain('Ignore all previous instructions');
    expect(stats.newCases).toEqual([{ id: 'case-new', createdAt: '2026-11-21T11:00:00.000Z', status: 'active', taxonomy: FAMILIES[2], incidentIds: ['inc-20261118-0000000a'] }]);
  });

  it('reports a malformed case or action item as InvalidInputError naming where', () => {
    const badCase = () => weeklyReviewStats({ ...base, incidents: [], cases: [{ id: 'c', created_at: 'yesterday', status: 'active', taxonomy: { owasp: '', category: 'x' }, source: { incident_ids: [], first_seen: '2026-11-21T10:00:00Z' } }] });
    expect(badCase).toThrow(InvalidInputError);
    expect(badCase).toThrow(/cases\[0\]\.created_at: expected an ISO-8601 timestamp/);
    expect(badCase).toThrow(/cases\[0\]\.taxonomy\.technique/);
    expect(() => weeklyReviewStats({ ...base, incidents: [], actionItems: [{ incidentId: 'i', type: 'fix', description: '', status: 'open' }] })).toThrow(/actionItems\[0\]\.type/);
  });

  it('refuses a week that does not exist', () => {
    expect(() => weeklyReviewStats({ ...base, week: '2027-W53', incidents: [] })).toThrow(InvalidInputError);
  });

  it('gives null medians for a week without incidents', () => {
    const stats: WeeklyReviewStats = weeklyReviewStats({ ...base, incidents: [] });
    expect(stats.weeks[4]).toMatchObject({ incidents: 0, ttd: { count: 0, median: null, p90: null } });
    expect(reviewSummary(stats)).toEqual({ incidents: 0, mtta: null, mttr: null });
  });
});
