import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertObservation } from '../../lambdas/core/alerts/observation';
import { matchAlert, parsePolicy, toSignal } from '../../lambdas/core/policy';
import { incidentKeyString, signalId, SignalSchema } from '../../lambdas/core/signal';

const shipped = parsePolicy(readFileSync(join(__dirname, '../../runbooks/slos.yaml'), 'utf8'), 'runbooks/slos.yaml');

const BASE = {
  status: 'firing',
  annotations: {},
  startsAt: '2025-06-01T10:00:00Z',
  observedAt: '2025-06-01T10:02:00Z',
  summary: 'breach',
} as const;

function alertmanager(labels: Record<string, string>): AlertObservation {
  return { ...BASE, source: 'alertmanager', format: 'alertmanager-v4', identity: 'fp-0a1b2c3d', name: labels.alertname ?? 'Unnamed', labels };
}

function cloudwatch(alarmName: string, dimensions: Record<string, string> = {}, region = 'eu-west-1'): AlertObservation {
  return {
    ...BASE,
    source: 'cloudwatch',
    format: 'eventbridge',
    identity: `arn:aws:cloudwatch:${region}:123456789012:alarm:${alarmName}`,
    name: alarmName,
    labels: { ...dimensions, alarmName, namespace: 'SupportBot', metricName: 'm' },
  };
}

describe('matchAlert with the shipped policy', () => {
  it('maps an Alertmanager alert by its alertname label', () => {
    expect(matchAlert(shipped, alertmanager({ alertname: 'TimeToFirstTokenP95High' }))).toEqual({
      slo: 'ttft-p95',
      mapped: true,
      severity: 'sev2',
      flapHoldSeconds: 300,
      actionsOnBreach: ['degrade_to_safe_mode', 'rollback'],
      rollbackRequiresApproval: true,
      service: 'support-bot',
      model: 'support-llm',
    });
  });

  it('requires match_re labels to match the whole value', () => {
    const matching = alertmanager({ alertname: 'AdversarialRefusalRateLow', service: 'support-bot-eu' });
    const partial = alertmanager({ alertname: 'AdversarialRefusalRateLow', service: 'legacy-support-bot' });
    const absent = alertmanager({ alertname: 'AdversarialRefusalRateLow' });
    expect(matchAlert(shipped, matching)).toMatchObject({ slo: 'adversarial-refusal-rate', mapped: true, rollbackRequiresApproval: false });
    expect(matchAlert(shipped, partial)).toMatchObject({ slo: 'default', mapped: false });
    expect(matchAlert(shipped, absent)).toMatchObject({ slo: 'default', mapped: false });
  });

  it('maps a CloudWatch alarm by its name', () => {
    expect(matchAlert(shipped, cloudwatch('support-bot-prompt-injection-detected'))).toMatchObject({
      slo: 'prompt-injection-never-event',
      severity: 'sev1',
      flapHoldSeconds: 0,
      actionsOnBreach: ['kill_switch'],
    });
  });

  it('maps a CloudWatch alarm whose ARN matches a glob pattern in any region and account', () => {
    expect(matchAlert(shipped, cloudwatch('refusal-rate-low', {}, 'us-east-1'))).toMatchObject({ slo: 'adversarial-refusal-rate', mapped: true });
    expect(matchAlert(shipped, cloudwatch('low-refusal-rate'))).toMatchObject({ slo: 'default', mapped: false });
  });

  it('does not match a matcher of the other source', () => {
    const alarmNamedLikeAlert = cloudwatch('TimeToFirstTokenP95High');
    expect(matchAlert(shipped, alarmNamedLikeAlert)).toMatchObject({ slo: 'default', mapped: false });
  });

  it('applies the default policy, flagged unmapped, to an alert that matches no SLO', () => {
    expect(matchAlert(shipped, alertmanager({ alertname: 'DiskFull', instance: 'node-3' }))).toEqual({
      slo: 'default',
      mapped: false,
      severity: 'sev2',
      flapHoldSeconds: 120,
      actionsOnBreach: [],
      rollbackRequiresApproval: true,
      service: 'unknown',
      model: 'unknown',
    });
  });

  it('takes service and model from the alert labels over the SLO defaults', () => {
    const alert = alertmanager({ alertname: 'OODRecallLow', service: 'support-bot-eu', model_id: 'support-llm-2025-06' });
    expect(matchAlert(shipped, alert)).toMatchObject({ slo: 'ood-recall', service: 'support-bot-eu', model: 'support-llm-2025-06' });
  });

  it('takes service and model from CloudWatch dimensions', () => {
    const alarm = cloudwatch('support-bot-calibration-ece-high', { ServiceName: 'support-bot-canary', ModelId: 'support-llm-v7' });
    expect(matchAlert(shipped, alarm)).toMatchObject({ slo: 'calibration-ece', service: 'support-bot-canary', model: 'support-llm-v7' });
  });

  it('prefers the lowercase labels when several names are present', () => {
    const alert = alertmanager({ alertname: 'DiskFull', Service: 'b', service: 'a', Model: 'y', model: 'x' });
    expect(matchAlert(shipped, alert)).toMatchObject({ service: 'a', model: 'x' });
  });
});

describe('matchAlert with overlapping matchers', () => {
  const policy = parsePolicy(
    `
version: 1
default: { severity: sev4, flap_hold: 0s, action_on_breach: [] }
slos:
  - id: narrow
    description: only the EU deployment
    sli: { name: x, kind: ratio, metric: x, unit: ratio }
    objective: { comparator: gte, target: 0.99 }
    window: 1h
    severity: sev1
    alerts:
      - { source: alertmanager, match: { alertname: RefusalLow, region: eu } }
    flap_hold: 1m
    action_on_breach: [kill_switch]
  - id: broad
    description: every refusal alert, every region
    sli: { name: x, kind: ratio, metric: x, unit: ratio }
    objective: { comparator: gte, target: 0.99 }
    window: 1h
    severity: sev3
    service: fallback-service
    alerts:
      - { source: alertmanager, match_re: { alertname: "Refusal.*" } }
      - { source: alertmanager, match: { alertname: RefusalLow, region: eu } , match_re: { team: ".*" } }
    flap_hold: 10m
    action_on_breach: [route_to_human_review]
`,
    'inline.yaml',
  );

  it('picks the first SLO in file order when several match', () => {
    expect(matchAlert(policy, alertmanager({ alertname: 'RefusalLow', region: 'eu' }))).toMatchObject({ slo: 'narrow', severity: 'sev1', flapHoldSeconds: 60 });
    expect(matchAlert(policy, alertmanager({ alertname: 'RefusalLow', region: 'us' }))).toMatchObject({ slo: 'broad', severity: 'sev3' });
  });

  it('falls back to the SLO service and then to unknown', () => {
    expect(matchAlert(policy, alertmanager({ alertname: 'RefusalHigh' }))).toMatchObject({ service: 'fallback-service', model: 'unknown' });
  });
});

describe('toSignal', () => {
  it('builds a valid signal keyed by SLO, service and model', () => {
    const alert = alertmanager({ alertname: 'TimeToFirstTokenP95High', model: 'support-llm-v8' });
    const signal = toSignal(shipped, alert);
    expect(SignalSchema.parse(signal)).toEqual(signal);
    expect(signal).toEqual({
      id: signalId(alert),
      key: { slo: 'ttft-p95', service: 'support-bot', model: 'support-llm-v8' },
      mapped: true,
      severity: 'sev2',
      flapHoldSeconds: 300,
      alert,
    });
    expect(incidentKeyString(signal.key)).toBe('ttft-p95#support-bot#support-llm-v8');
  });

  it('builds an unmapped signal under the default key', () => {
    const signal = toSignal(shipped, cloudwatch('disk-full'));
    expect(signal).toMatchObject({ key: { slo: 'default', service: 'unknown', model: 'unknown' }, mapped: false, severity: 'sev2' });
  });
});
