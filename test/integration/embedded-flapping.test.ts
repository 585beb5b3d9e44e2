import * as path from 'node:path';
import type { EmbeddedTarget } from '../../local/embedded';
import type { Incident, TimelineEntry } from '../../lambdas/core/incident';
import { alertmanagerWebhook } from '../support/payloads';
import { getJson, post, startTestTarget } from '../support/embedded';

const POLICY = path.join(__dirname, '..', 'fixtures', 'policy', 'short-flap-hold.yaml');

describe('embedded target: flap hold, run for real (2 s)', () => {
  let target: EmbeddedTarget;

  beforeAll(async () => {
    target = await startTestTarget({ policyFile: POLICY });
  });
  afterAll(async () => {
    await target.engine.idle();
    await target.close();
  });

  const show = async (id: string) => (await getJson<{ incident: Incident; timeline: TimelineEntry[] }>(`${target.url}/incidents/${id}`)).body;
  const activeRefusal = async () =>
    (await getJson<{ incidents: Incident[] }>(`${target.url}/incidents?active=true`)).body.incidents.find((i) => i.key.slo === 'adversarial-refusal-rate');

  it('marks a breach that clears within its flap hold flapped and never confirms it', async () => {
    const startsAt = new Date().toISOString();
    const alert = { alertname: 'AdversarialRefusalRateLow', fingerprint: 'f1a9f1a9f1a9f1a9', startsAt };
    await post(`${target.url}/alerts/alertmanager`, alertmanagerWebhook([alert]));
    await new Promise((r) => setTimeout(r, 300));
    const opened = await activeRefusal();
    expect(opened?.status).toBe('open');
    await post(`${target.url}/alerts/alertmanager`, alertmanagerWebhook([{ ...alert, status: 'resolved', endsAt: new Date().toISOString() }]));
    await target.engine.idle();
    const { incident, timeline } = await show(opened!.id);
    expect(incident.status).toBe('flapped');
    expect(incident.confirmedAt).toBeUndefined();
    // Nobody was paged and no channel was opened.
    expect(timeline.map((e) => e.kind)).toEqual(['incident.opened', 'alert.resolved', 'incident.flapped']);
    expect(target.simulators.pagerduty!.events()).toEqual([]);
    const execution = target.engine.describe(target.engine.list(target.engine.arnOf('respond')!).find((e) => e.name === incident.openedBySignal)!.executionArn);
    expect(execution.events.filter((e) => e.type === 'StateEntered').map((e) => e.stateName)).toContain('Breach Flapped');
  });

  it('confirms a breach that outlasts its flap hold', async () => {
    const alert = { alertname: 'AdversarialRefusalRateLow', fingerprint: 'b2b2b2b2b2b2b2b2', startsAt: new Date().toISOString() };
    await post(`${target.url}/alerts/alertmanager`, alertmanagerWebhook([alert]));
    await target.engine.idle();
    const incident = await activeRefusal();
    expect(incident?.confirmedAt).toBeDefined();
    expect(Date.parse(incident!.confirmedAt!)).toBeGreaterThanOrEqual(Date.parse(incident!.flapHoldUntil));
    // Confirmed, and only then paged.
    expect((await show(incident!.id)).timeline.map((e) => e.kind).slice(0, 3)).toEqual(['incident.opened', 'breach.confirmed', 'page.triggered']);
  });
});
