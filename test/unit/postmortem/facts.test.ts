import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicyFile } from '../../../lambdas/adapters/file-policy-source';
import type { Incident, TimelineEntry } from '../../../lambdas/core/incident';
import { controlChanges, errorBudgetConsumed, formatSeconds, postmortemFacts } from '../../../lambdas/core/postmortem/facts';
import type { Slo } from '../../../lambdas/core/policy/schema';
import { makeIncident } from '../../support/incidents';

const record = JSON.parse(readFileSync(join(__dirname, '../../fixtures/postmortems/drill-record.json'), 'utf8')) as { incident: Partial<Incident>; timeline: TimelineEntry[] };
const policy = loadPolicyFile(join(__dirname, '../../../runbooks/slos.yaml'));
const sloById = (id: string): Slo => {
  const slo = policy.slos.find((s) => s.id === id);
  if (slo === undefined) throw new Error(`no SLO ${id} in runbooks/slos.yaml`);
  return slo;
};
const refusal = sloById('adversarial-refusal-rate');
const drillIncident = (overrides: Partial<Incident> = {}): Incident => makeIncident({ ...record.incident, ...overrides });

describe('postmortem facts: phases and durations', () => {
  const facts = postmortemFacts(drillIncident(), record.timeline, refusal);

  it('places every phase marker of a drill-like incident from its fields and timeline', () => {
    expect(facts.phases).toEqual([
      { phase: 'breach began', at: '2026-11-21T10:00:00.000Z', source: 'incident.breachStartedAt' },
      { phase: 'detected', at: '2026-11-21T10:00:05.000Z', source: 'incident.openedAt' },
      { phase: 'paged', at: '2026-11-21T10:02:06.000Z', source: 'incident.page.triggeredAt' },
      { phase: 'acknowledged', at: '2026-11-21T10:03:30.000Z', source: 'incident.acknowledgedAt' },
      { phase: 'contained', at: '2026-11-21T10:02:06.500Z', source: 'incident.actions (kill_switch)' },
      { phase: 'mitigated', at: '2026-11-21T10:05:08.000Z', source: 'incident.mitigatedAt' },
      { phase: 'resolved', at: '2026-11-21T10:20:00.000Z', source: 'incident.resolvedAt' },
    ]);
  });

  it('measures detect, acknowledge, mitigate and resolve as documented', () => {
    expect(facts.durations).toEqual({ detect: 5, acknowledge: 84, mitigate: 308, resolve: 1200, impact: 308 });
  });

  it('takes a phase from the timeline when the incident field is missing, and the earliest when both exist', () => {
    const remitigated = postmortemFacts(drillIncident({ mitigatedAt: '2026-11-21T10:15:00.000Z', page: undefined, acknowledgedAt: undefined }), record.timeline, refusal);
    const at = (phase: string) => remitigated.phases.find((p) => p.phase === phase);
    expect(at('mitigated')).toEqual({ phase: 'mitigated', at: '2026-11-21T10:05:08.000Z', source: 'timeline incident.mitigated' });
    expect(at('paged')).toEqual({ phase: 'paged', at: '2026-11-21T10:02:06.000Z', source: 'timeline page.triggered' });
    expect(at('acknowledged')?.source).toBe('timeline incident.acknowledged');
  });

  it('leaves unreached phases without a time and their durations undefined', () => {
    const open = makeIncident();
    const facts = postmortemFacts(open, [], refusal);
    expect(facts.phases.filter((p) => p.at === undefined).map((p) => p.phase)).toEqual(['paged', 'acknowledged', 'contained', 'mitigated', 'resolved']);
    expect(facts.durations).toEqual({ detect: 5, acknowledge: undefined, mitigate: undefined, resolve: undefined, impact: undefined });
    expect(facts.errorBudgetMissing).toBe('the impact has not ended (neither mitigated nor resolved)');
  });

  it('measures acknowledgement from detection when no page went out, and never negative', () => {
    const noPage = postmortemFacts(drillIncident({ page: undefined }), record.timeline.filter((e) => e.kind !== 'page.triggered'), refusal);
    expect(noPage.durations.acknowledge).toBe(205);
    const ackedFirst = postmortemFacts(drillIncident({ acknowledgedAt: '2026-11-21T10:01:00.000Z' }), [], refusal);
    expect(ackedFirst.durations.acknowledge).toBe(0);
  });

  it('orders the timeline by time whatever order it came in (entries at the same instant keep their order)', () => {
    const shuffled = [...record.timeline.slice(5), ...record.timeline.slice(0, 5)];
    expect(postmortemFacts(drillIncident(), shuffled, refusal).timeline.map((e) => e.id)).toEqual(record.timeline.map((e) => e.id));
  });
});

describe('postmortem facts: error budget consumed', () => {
  it('estimates a ratio SLO from the observed value and the impact, and states the formula', () => {
    const facts = postmortemFacts(drillIncident(), record.timeline, refusal);
    expect(facts.errorBudget).toMatchObject({ estimate: 'estimate', budgetKind: 'ratio', budget: 0.001, impactSeconds: 308, windowSeconds: 3600 });
    expect(facts.errorBudget?.badFraction).toBeCloseTo(0.1579, 4);
    expect(facts.errorBudget?.consumed).toBeCloseTo((0.1579 * 308) / (0.001 * 3600), 2);
    expect(facts.errorBudget?.formula).toBe(
      'bad fraction × min(impact, window) ÷ (error budget × window) = 0.1579 × min(5 min 08 s, 1h) ÷ (0.001 × 1h) = 1351 %; bad fraction = 1 − observed 0.8421, assumed constant for the whole impact',
    );
  });

  it('counts at most one window when the impact outlasts the SLO window', () => {
    expect(errorBudgetConsumed(refusal, 0.99, 7200)?.consumed).toBeCloseTo(10, 6);
  });

  it('gives a latency SLO a lower bound: the quantile tail alone spends budget at rate 1', () => {
    const result = errorBudgetConsumed(sloById('ttft-p95'), 900, 600);
    expect(result).toMatchObject({ estimate: 'lower-bound', budgetKind: 'latency', consumed: 600 / 3600 });
    expect(result?.formula).toMatch(/^at least: the slowest 0\.05 of requests exceeded 500 ms/);
  });

  it('spends the whole budget of a never-event', () => {
    expect(errorBudgetConsumed(sloById('prompt-injection-never-event'), 1, 30)).toMatchObject({ consumed: 1, estimate: 'whole-budget', budgetKind: 'never-event' });
  });

  it('compares an event count with the events a window allows', () => {
    const slo: Slo = { ...sloById('prompt-injection-never-event'), objective: { comparator: 'lte', target: 4 } };
    expect(errorBudgetConsumed(slo, 2, 300)).toMatchObject({ consumed: 0.5, estimate: 'estimate', budgetKind: 'event-count' });
  });

  it('says why it cannot estimate: no SLO, or no observed value for a ratio', () => {
    expect(postmortemFacts(drillIncident({ mapped: false }), record.timeline).errorBudgetMissing).toBe('the alert matched no SLO, so there is no error budget to measure');
    const noValue = postmortemFacts(drillIncident({ observedValue: undefined }), record.timeline, refusal);
    expect(noValue.errorBudget).toBeUndefined();
    expect(noValue.errorBudgetMissing).toBe('the alert reported no observed value to estimate the bad fraction from');
  });
});

describe('postmortem facts: actions and responders', () => {
  it('lists every action with what it changed, and what was still on at the end', () => {
    const facts = postmortemFacts(drillIncident(), record.timeline, refusal);
    expect(facts.actions.map((a) => [a.action, a.by, a.changes])).toEqual([
      ['kill_switch', 'firebreak', ['kill switch off → on']],
      ['rollback', 'firebreak', ['version support-llm-v2 → support-llm-v1']],
    ]);
    expect(facts.stillInEffect.map((a) => a.action)).toEqual(['kill_switch']);
  });

  it('reads the actions from the timeline when the incident has none recorded', () => {
    const facts = postmortemFacts(drillIncident({ actions: undefined }), record.timeline, refusal);
    expect(facts.actions.map((a) => [a.action, a.at, a.changes])).toEqual([
      ['kill_switch', '2026-11-21T10:02:06.500Z', ['kill switch off → on']],
      ['rollback', '2026-11-21T10:02:08.000Z', ['version support-llm-v2 → support-llm-v1']],
    ]);
  });

  it('does not count an undone action as still in effect', () => {
    const actions = record.incident.actions?.map((a) => (a.action === 'kill_switch' ? { ...a, undoneAt: '2026-11-21T10:30:00.000Z', undoneBy: 'U0ONCALL01' } : a));
    const facts = postmortemFacts(drillIncident({ actions }), record.timeline, refusal);
    expect(facts.stillInEffect).toEqual([]);
    expect(facts.responders.find((r) => r.id === 'U0ONCALL01')?.activities).toContain('kill_switch undone');
  });

  it('names the people from roles, timeline actors and invitations, never the systems', () => {
    const facts = postmortemFacts(drillIncident(), record.timeline, refusal);
    expect(facts.responders).toEqual([
      { id: 'U0DRILLRESP', roles: [], firstSeenAt: '2026-11-21T10:02:08.100Z', activities: ['invited to the channel'] },
      { id: 'U0ONCALL01', roles: ['commander'], firstSeenAt: '2026-11-21T10:02:08.100Z', activities: ['invited to the channel', 'incident.acknowledged', 'role.assigned'] },
    ]);
  });

  it('names a PagerDuty user who resolved the incident', () => {
    const facts = postmortemFacts(drillIncident({ resolution: { by: 'PUSER42', via: 'pagerduty' } }), [], refusal);
    expect(facts.responders.map((r) => r.id)).toEqual(['pagerduty:PUSER42', 'U0ONCALL01']);
  });
});

describe('postmortem facts: helpers', () => {
  it.each([
    [0.4567, '0.4 s'],
    [5, '5 s'],
    [42.9, '42 s'],
    [245, '4 min 05 s'],
    [3_725, '1 h 02 min'],
    [183_600, '2 d 3 h'],
  ])('formats %p seconds as %p', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });

  it('describes only the control fields that changed', () => {
    const before = { activeVersion: 'v2', killSwitch: false, safeMode: true, humanReview: false, revision: 1 };
    expect(controlChanges(before, { ...before, activeVersion: 'v1', safeMode: false, revision: 2 })).toEqual(['version v2 → v1', 'safe mode on → off']);
    expect(controlChanges(before, { ...before, revision: 2 })).toEqual([]);
  });
});
