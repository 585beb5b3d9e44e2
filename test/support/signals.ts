import type { AlertObservation } from '../../lambdas/core/alerts/observation';
import { signalId, type Signal } from '../../lambdas/core/signal';

/** A signal for tests: firing refusal-rate breach on support-bot unless overridden. */
export function makeSignal(overrides: Partial<AlertObservation> = {}, extra: Partial<Omit<Signal, 'alert' | 'id'>> = {}): Signal {
  const alert: AlertObservation = {
    source: 'alertmanager',
    format: 'alertmanager-v4',
    status: 'firing',
    identity: 'fp-0001',
    name: 'RefusalRateBelowObjective',
    labels: { alertname: 'RefusalRateBelowObjective', service: 'support-bot', model: 'support-llm' },
    annotations: { summary: 'refusal rate 97.1% < 99.9%' },
    startsAt: '2026-11-21T10:00:00.000Z',
    observedAt: '2026-11-21T10:00:00.000Z',
    summary: 'refusal rate 97.1% < 99.9%',
    ...overrides,
  };
  return {
    id: signalId(alert),
    key: { slo: 'adversarial-refusal-rate', service: 'support-bot', model: 'support-llm' },
    mapped: true,
    severity: 'sev2',
    flapHoldSeconds: 120,
    alert,
    ...extra,
  };
}

/** A clock tests move by hand. */
export class ManualClock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  set(iso: string): void {
    this.current = new Date(iso);
  }
}
