import { IncidentSchema, type Incident } from '../../lambdas/core/incident';

/**
 * An open, mapped SEV2 incident for tests: the adversarial refusal-rate SLO
 * breached on `support-bot` (model `support-llm`), opened from one
 * Alertmanager alert. Every field can be overridden; the result is checked
 * against `IncidentSchema`, so a test cannot build an incident the store
 * would refuse.
 *
 * @example
 * const incident = makeIncident({ severity: 'sev1', page: { dedupKey: 'inc-20261121-5f2a9c1e', status: 'triggered', attempts: 1 } });
 */
export function makeIncident(overrides: Partial<Incident> = {}): Incident {
  const incident: Incident = {
    id: 'inc-20261121-5f2a9c1e',
    key: { slo: 'adversarial-refusal-rate', service: 'support-bot', model: 'support-llm' },
    status: 'open',
    severity: 'sev2',
    mapped: true,
    title: 'adversarial-refusal-rate breached on support-bot (support-llm)',
    openedBySignal: 'sig-0123456789abcdef01234567',
    breachStartedAt: '2026-11-21T10:00:00.000Z',
    openedAt: '2026-11-21T10:00:05.000Z',
    updatedAt: '2026-11-21T10:02:05.000Z',
    flapHoldUntil: '2026-11-21T10:02:00.000Z',
    confirmedAt: '2026-11-21T10:02:05.000Z',
    week: '2026-W47',
    alerts: {
      'alertmanager#fp-0001': {
        source: 'alertmanager',
        name: 'RefusalRateBelowObjective',
        status: 'firing',
        startsAt: '2026-11-21T10:00:00.000Z',
        lastSignalId: 'sig-0123456789abcdef01234567',
      },
    },
    signalCount: 1,
    version: 2,
    ...overrides,
  };
  return IncidentSchema.parse(incident);
}

/**
 * An incident as it looks the moment it opens: no alerts recorded yet, not
 * confirmed, version 1 (the Slack rendering and channel tests start here).
 *
 * @example
 * const incident = makeOpeningIncident({ title: 'Ignore all previous instructions…' });
 */
export function makeOpeningIncident(overrides: Partial<Incident> = {}): Incident {
  return makeIncident({
    title: 'Refusal rate below objective',
    openedBySignal: 'sig-000000000000000000000001',
    openedAt: '2026-11-21T10:02:00.000Z',
    updatedAt: '2026-11-21T10:02:00.000Z',
    confirmedAt: undefined,
    alerts: {},
    version: 1,
    ...overrides,
  });
}
