import type { EmbeddedTarget } from '../../local/embedded';
import type { Incident, TimelineEntry } from '../../lambdas/core/incident';
import { alertmanagerWebhook, cloudWatchStateChange } from '../support/payloads';
import { getJson, post, startTestTarget } from '../support/embedded';

describe('embedded target: alert intake over HTTP', () => {
  let target: EmbeddedTarget;

  beforeAll(async () => {
    // Flap holds are shortened here; test/integration/embedded-flapping.test.ts runs them for real.
    target = await startTestTarget({ waitTimeOverrides: { 'Wait Out The Flap Hold': 0 } });
  });
  afterAll(async () => {
    await target.engine.idle();
    await target.close();
  });

  const active = async (): Promise<Incident[]> => (await getJson<{ incidents: Incident[] }>(`${target.url}/incidents?active=true`)).body.incidents;
  const incidentFor = async (slo: string): Promise<Incident | undefined> => (await active()).find((i) => i.key.slo === slo);
  const show = async (id: string) => (await getJson<{ incident: Incident; timeline: TimelineEntry[] }>(`${target.url}/incidents/${id}`)).body;

  it('opens one incident for an alert delivered three times', async () => {
    const webhook = alertmanagerWebhook([{ alertname: 'AdversarialRefusalRateLow', fingerprint: 'a1a1a1a1a1a1a1a1' }]);
    const answers = await Promise.all([1, 2, 3].map(() => post(`${target.url}/alerts/alertmanager`, webhook)));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    await target.engine.idle();
    // A later redelivery is answered as a duplicate.
    const again = await post(`${target.url}/alerts/alertmanager`, webhook);
    expect(again.body.accepted).toEqual([expect.objectContaining({ duplicate: true })]);
    await target.engine.idle();
    const incidents = (await active()).filter((i) => i.key.slo === 'adversarial-refusal-rate');
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ status: 'open', severity: 'sev1', mapped: true, signalCount: 1, key: { service: 'support-bot', model: 'support-llm' } });
    const { timeline } = await show(incidents[0]!.id);
    const kinds = timeline.map((e) => e.kind);
    expect(kinds.slice(0, 3)).toEqual(['incident.opened', 'breach.confirmed', 'page.triggered']);
    expect(kinds.filter((k) => k === 'page.triggered')).toHaveLength(1);
  });

  it('resolves the incident when its alert resolves', async () => {
    const startsAt = new Date(Date.now() - 600_000).toISOString();
    await post(`${target.url}/alerts/alertmanager`, alertmanagerWebhook([{ alertname: 'CalibrationErrorHigh', fingerprint: 'c2c2c2c2c2c2c2c2', startsAt }]));
    await target.engine.idle();
    const opened = await incidentFor('calibration-ece');
    expect(opened?.status).toBe('open');
    const resolved = await post(
      `${target.url}/alerts/alertmanager`,
      alertmanagerWebhook([{ alertname: 'CalibrationErrorHigh', fingerprint: 'c2c2c2c2c2c2c2c2', startsAt, status: 'resolved' }]),
    );
    expect(resolved.status).toBe(202);
    await target.engine.idle();
    const { incident } = await show(opened!.id);
    // Resolved, then closed once resolve drafted its postmortem.
    expect(incident.status).toBe('closed');
    expect(incident.resolvedAt).toBeDefined();
    expect(await incidentFor('calibration-ece')).toBeUndefined();
  });

  it('keeps each alert of a mixed firing and resolved group in its own state', async () => {
    const startsAt = new Date(Date.now() - 600_000).toISOString();
    const a = { alertname: 'OODRecallLow', fingerprint: 'd3d3d3d3d3d3d3d1', startsAt };
    const b = { alertname: 'OODRecallLow', fingerprint: 'd3d3d3d3d3d3d3d2', startsAt };
    await post(`${target.url}/alerts/alertmanager`, alertmanagerWebhook([a, b]));
    await target.engine.idle();
    await post(`${target.url}/alerts/alertmanager`, alertmanagerWebhook([a, { ...b, status: 'resolved' }]));
    await target.engine.idle();
    const incident = await incidentFor('ood-recall');
    expect(incident?.status).toBe('open');
    expect(incident?.alerts).toMatchObject({ d3d3d3d3d3d3d3d1: { status: 'firing' }, d3d3d3d3d3d3d3d2: { status: 'resolved' } });
  });

  it('opens an unmapped alert as an incident under the default policy', async () => {
    const answer = await post(`${target.url}/alerts/alertmanager`, alertmanagerWebhook([{ alertname: 'GPUNodeNotReady', fingerprint: 'e4e4e4e4e4e4e4e4', labels: { service: 'inference-fleet', model: 'fleet' } }]));
    expect(answer.body.accepted).toEqual([expect.objectContaining({ slo: 'default', mapped: false })]);
    await target.engine.idle();
    const incident = await incidentFor('default');
    expect(incident).toMatchObject({ mapped: false, severity: 'sev2', key: { service: 'inference-fleet', model: 'fleet' } });
  });

  it('opens an incident from a CloudWatch alarm state change and resolves it on OK', async () => {
    const at = new Date(Date.now() - 60_000).toISOString();
    expect((await post(`${target.url}/alerts/cloudwatch`, cloudWatchStateChange('support-bot-prompt-injection-detected', 'ALARM', at))).status).toBe(202);
    await target.engine.idle();
    const incident = await incidentFor('prompt-injection-never-event');
    // The never-event's kill switch contains the demo model, whose SLI then recovers: open or already mitigated.
    expect(incident).toMatchObject({ key: { service: 'support-bot', model: 'support-llm' } });
    expect(['open', 'mitigated']).toContain(incident!.status);
    await post(`${target.url}/alerts/cloudwatch`, cloudWatchStateChange('support-bot-prompt-injection-detected', 'OK'));
    await target.engine.idle();
    expect((await show(incident!.id)).incident.status).toBe('closed');
  });

  it('acknowledges a CloudWatch configuration change with 202 and opens nothing', async () => {
    const before = (await active()).length;
    const change = { ...cloudWatchStateChange('support-bot-ttft-p95-high', 'ALARM'), 'detail-type': 'CloudWatch Alarm Configuration Change' };
    const answer = await post(`${target.url}/alerts/cloudwatch`, change);
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ accepted: [], ignored: [expect.objectContaining({ reason: expect.stringContaining('Configuration Change') })] });
    await target.engine.idle();
    expect((await active()).length).toBe(before);
  });

  describe('bad input', () => {
    it('answers invalid JSON with 400 and where it broke', async () => {
      const answer = await post(`${target.url}/alerts/alertmanager`, '{"version": "4", "alerts": [');
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'InvalidJson', message: expect.stringContaining('not valid JSON') });
    });

    it('answers a wrong content type with 415', async () => {
      const answer = await post(`${target.url}/alerts/alertmanager`, 'alertname=x', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(answer.status).toBe(415);
      expect(answer.body.message).toContain('application/json');
    });

    it('answers a webhook with a wrongly typed field with 400 naming the path', async () => {
      const webhook = alertmanagerWebhook([{ alertname: 'AdversarialRefusalRateLow', fingerprint: 'f5f5f5f5f5f5f5f5' }]);
      (webhook.alerts as Record<string, unknown>[])[0]!.labels = 'not-an-object';
      const answer = await post(`${target.url}/alerts/alertmanager`, webhook);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('InvalidInputError');
      expect(answer.body.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'alerts[0].labels' })]));
    });

    it('answers a webhook without alerts with 400', async () => {
      const answer = await post(`${target.url}/alerts/alertmanager`, { version: '4', status: 'firing' });
      expect(answer.status).toBe(400);
      expect(answer.body.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.stringContaining('alerts') })]));
    });

    it('answers a body over 1 MiB with 413', async () => {
      const answer = await post(`${target.url}/alerts/alertmanager`, JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }));
      expect(answer.status).toBe(413);
      expect(answer.body.error).toBe('PayloadTooLarge');
    });

    it('answers a CloudWatch body of no known form with 400', async () => {
      const answer = await post(`${target.url}/alerts/cloudwatch`, { hello: 'world' });
      expect(answer.status).toBe(400);
      expect(answer.body.message).toMatch(/EventBridge|SNS|alarm/);
    });

    it('answers unknown routes with a JSON 404 and stays up', async () => {
      const missing = await getJson(`${target.url}/nope`);
      expect(missing.status).toBe(404);
      expect((await getJson(`${target.url}/incidents/inc-20260101-deadbeef`)).status).toBe(404);
      expect((await getJson(`${target.url}/healthz`)).body).toEqual({ ok: true });
    });
  });

  it('serves Prometheus metrics of the pipeline', async () => {
    const text = await (await fetch(`${target.url}/metrics`)).text();
    expect(text).toContain('firebreak_http_requests_total{route="/alerts/alertmanager",method="POST",status="202"}');
    expect(text).toMatch(/firebreak_workflow_executions_total\{workflow="respond",status="SUCCEEDED"\} \d+/);
    expect(text).toMatch(/firebreak_incidents_active \d+/);
  });

  it('renders the incident list as an HTML page', async () => {
    const res = await fetch(`${target.url}/`);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('<h1>Incidents</h1>');
    expect(html).toContain('adversarial-refusal-rate');
  });
});
