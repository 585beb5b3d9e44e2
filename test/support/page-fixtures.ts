import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ControlSnapshot, Incident, TimelineEntry } from '../../lambdas/core/incident';
import { errorBudgetChart, incidentsPerWeekChart } from '../../lambdas/core/review/svg-charts';
import type { RecordsReader } from '../../local/pages/records-views';
import { InMemoryIncidentStore } from './in-memory-ports';
import { makeIncident } from './incidents';

/*
 * What the page tests serve: incidents of week 2026-W47 in an in-memory
 * store, and a records repository in memory with a postmortem, regression
 * cases and two weekly reviews (charts as SVG files, and inline). Sample
 * documents come from test/fixtures/pages; the incidents-per-week and
 * error-budget charts are drawn by the review's own chart generator.
 */

const FIXTURES = path.resolve(__dirname, '../fixtures/pages');

/**
 * The records repository in memory, by path: `list(prefix)` returns the
 * paths under the folder `prefix`, sorted, as the port does.
 *
 * @example
 * const records = new InMemoryRecords({ 'reviews/2026-W47.md': '# Weekly review' });
 * await records.list('reviews') // => ['reviews/2026-W47.md']
 */
export class InMemoryRecords implements RecordsReader {
  private readonly files: Map<string, string>;
  /** Every path read, in order (to check what a page looked at). */
  readonly reads: string[] = [];

  constructor(files: Readonly<Record<string, string>> = {}) {
    this.files = new Map(Object.entries(files));
  }

  async read(file: string): Promise<string | undefined> {
    this.reads.push(file);
    return this.files.get(file);
  }

  async list(prefix: string): Promise<string[]> {
    const folder = `${prefix.replace(/\/+$/, '')}/`;
    return [...this.files.keys()].filter((p) => p.startsWith(folder)).sort();
  }

  async readAll(prefix: string): Promise<Map<string, string>> {
    const paths = await this.list(prefix);
    this.reads.push(...paths);
    return new Map(paths.map((p) => [p, this.files.get(p) ?? '']));
  }
}

const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');

/** The incident with a postmortem, actions and a harvested case. */
export const CONTAINED_ID = 'inc-20261121-5f2a9c1e';
/** An incident whose title and timeline quote hostile markup. */
export const HOSTILE_ID = 'inc-20261120-0c0ffee0';
/** A resolved incident without postmortem. */
export const RESOLVED_ID = 'inc-20261119-0badc0de';
/** The week of every sample incident. */
export const SAMPLE_WEEK = '2026-W47';

const snapshot = (overrides: Partial<ControlSnapshot> = {}): ControlSnapshot => ({
  activeVersion: 'support-llm-v2',
  killSwitch: false,
  safeMode: false,
  humanReview: false,
  revision: 7,
  ...overrides,
});

/** The sample incidents, newest first. */
export function sampleIncidents(): Incident[] {
  return [
    makeIncident({
      id: CONTAINED_ID,
      status: 'mitigated',
      severity: 'sev2',
      modelVersion: 'support-llm-v2',
      observedValue: 0.715,
      acknowledgedAt: '2026-11-21T10:04:05.000Z',
      mitigatedAt: '2026-11-21T10:30:00.000Z',
      page: { dedupKey: CONTAINED_ID, status: 'acknowledged', attempts: 1, triggeredAt: '2026-11-21T10:02:06.000Z' },
      channel: { id: 'C0INCIDENT1', name: 'inc-20261121-refusal-rate', summaryTs: '1763719326.000100' },
      roles: { commander: 'U0ALICE' },
      actions: [
        {
          id: 'degrade_to_safe_mode',
          action: 'degrade_to_safe_mode',
          model: 'support-llm',
          at: '2026-11-21T10:02:07.000Z',
          by: 'firebreak',
          before: snapshot(),
          after: snapshot({ safeMode: true, revision: 8 }),
        },
        {
          id: 'rollback',
          action: 'rollback',
          model: 'support-llm',
          at: '2026-11-21T10:20:00.000Z',
          by: 'U0ALICE',
          before: snapshot({ safeMode: true, revision: 8 }),
          after: snapshot({ activeVersion: 'support-llm-v1', safeMode: true, revision: 9 }),
        },
      ],
      version: 6,
    }),
    makeIncident({
      id: HOSTILE_ID,
      key: { slo: 'adversarial-refusal-rate', service: 'support-bot', model: 'support-llm-canary' },
      title: '<script>window.__pwned = true</script> refusal rate breached',
      openedAt: '2026-11-20T08:00:00.000Z',
      breachStartedAt: '2026-11-20T07:59:00.000Z',
      updatedAt: '2026-11-20T08:00:00.000Z',
      flapHoldUntil: '2026-11-20T08:02:00.000Z',
      confirmedAt: undefined,
      mapped: false,
      severity: 'sev3',
    }),
    makeIncident({
      id: RESOLVED_ID,
      key: { slo: 'never-event-canary-leak', service: 'support-bot', model: 'support-llm' },
      title: 'never-event-canary-leak breached on support-bot (support-llm)',
      status: 'resolved',
      severity: 'sev1',
      openedAt: '2026-11-19T07:56:00.000Z',
      breachStartedAt: '2026-11-19T07:55:00.000Z',
      updatedAt: '2026-11-19T09:01:00.000Z',
      flapHoldUntil: '2026-11-19T07:58:00.000Z',
      confirmedAt: '2026-11-19T07:58:00.000Z',
      acknowledgedAt: '2026-11-19T07:59:30.000Z',
      resolvedAt: '2026-11-19T09:01:00.000Z',
      resolution: { by: 'U0BOB', via: 'slack', reason: 'canary rotated, guard restored' },
      version: 5,
    }),
  ];
}

const entry = (incidentId: string, n: number, at: string, kind: string, actor: string, message: string): TimelineEntry => ({
  incidentId,
  id: `${incidentId}-e${n}`,
  at,
  kind,
  actor,
  message,
});

/** Timelines of the sample incidents, oldest entry first. */
export function sampleTimelines(): TimelineEntry[] {
  return [
    entry(CONTAINED_ID, 1, '2026-11-21T10:00:05.000Z', 'incident.opened', 'alertmanager', 'RefusalRateBelowObjective fired for support-bot'),
    entry(CONTAINED_ID, 2, '2026-11-21T10:02:06.000Z', 'page.triggered', 'firebreak', 'Paged the on-call (1 attempt)'),
    entry(CONTAINED_ID, 3, '2026-11-21T10:02:07.000Z', 'action.degrade_to_safe_mode', 'firebreak', 'Safe mode on for support-llm'),
    entry(CONTAINED_ID, 4, '2026-11-21T10:04:05.000Z', 'incident.acknowledged', 'pagerduty', 'Acknowledged by the on-call'),
    entry(CONTAINED_ID, 5, '2026-11-21T10:20:00.000Z', 'action.rollback', 'U0ALICE', 'Rolled back support-llm to support-llm-v1'),
    entry(HOSTILE_ID, 1, '2026-11-20T08:00:00.000Z', 'incident.opened', 'alertmanager', 'Alert annotation: <img src=x onerror="window.__pwned=true"> & <b>bold</b>'),
    entry(RESOLVED_ID, 1, '2026-11-19T07:56:00.000Z', 'incident.opened', 'cloudwatch', 'canary-leak alarm fired'),
    entry(RESOLVED_ID, 2, '2026-11-19T09:01:00.000Z', 'incident.resolved', 'U0BOB', 'Resolved in Slack'),
  ];
}

/** An in-memory store holding the sample incidents and their timelines. */
export async function sampleStore(): Promise<InMemoryIncidentStore> {
  const store = new InMemoryIncidentStore();
  const timelines = sampleTimelines();
  for (const incident of sampleIncidents()) {
    await store.create(
      incident,
      timelines.filter((e) => e.incidentId === incident.id),
    );
  }
  return store;
}

/** The review of 2026-W46, its chart inline. */
export function inlineChartReview(): string {
  const chart = errorBudgetChart([
    { slo: 'adversarial-refusal-rate', remainingFraction: 0.62, exhausted: false },
    { slo: 'ttft-p95', remainingFraction: 0.18, exhausted: false },
  ]);
  return `# Weekly review 2026-W46\n\nError budgets at the end of the week:\n\n${chart}\n\nNo incident was resolved this week.\n`;
}

/** The files of the sample records repository, by path. */
export function sampleRecordFiles(): Record<string, string> {
  const corpus = Object.fromEntries(readdirSync(path.join(FIXTURES, 'corpus')).map((f) => [`corpus/${f}`, fixture(`corpus/${f}`)]));
  return {
    ...corpus,
    'corpus/README.md': '# Regression cases\n',
    [`postmortems/2026/${CONTAINED_ID}.md`]: fixture(`postmortem-${CONTAINED_ID}.md`),
    'reviews/2026-W47.md': fixture('review-2026-W47.md'),
    'reviews/2026-W47/severity-mix.svg': fixture('severity-mix.svg'),
    'reviews/2026-W47/incidents-per-week.svg': incidentsPerWeekChart([
      { week: '2026-W44', incidents: 2 },
      { week: '2026-W45', incidents: 4 },
      { week: '2026-W46', incidents: 1 },
      { week: '2026-W47', incidents: 6 },
    ]),
    'reviews/2026-W46.md': inlineChartReview(),
  };
}
