import type { EmbeddedTarget } from '../../local/embedded';
import { isoWeek, type Incident, type TimelineEntry } from '../../lambdas/core/incident';
import { DynamoDbModelControlPlane } from '../../lambdas/adapters/dynamodb-model-control-plane';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb-client';
import { alertmanagerWebhook } from '../support/payloads';
import { getJson, post, startTestTarget } from '../support/embedded';

describe('embedded target: containing and rolling back the model', () => {
  let target: EmbeddedTarget;
  let control: DynamoDbModelControlPlane;

  beforeAll(async () => {
    target = await startTestTarget({ retryIntervalOverrides: { 'Contain The Model': 10 } });
    control = new DynamoDbModelControlPlane(createDocumentClient(), process.env.TABLE_NAME!);
  });
  afterAll(async () => {
    await target.engine.idle();
    await target.close();
  });

  const show = async (id: string) => (await getJson<{ incident: Incident; timeline: TimelineEntry[] }>(`${target.url}/incidents/${id}`)).body;

  it('kills and rolls back a model whose refusal rate breached, as the policy says, recording before → after', async () => {
    const state = (await control.get('support-llm'))!;
    await control.update('support-llm', state.revision, { activeVersion: 'support-llm-v2' }, 'test: the vulnerable version goes live');
    const startsAt = new Date(Date.now() - 10 * 60_000).toISOString(); // older than the 2 min flap hold
    const webhook = alertmanagerWebhook([{ alertname: 'AdversarialRefusalRateLow', fingerprint: 'c0c0c0c0c0c0c0c0', startsAt, labels: { model_version: 'support-llm-v2' } }]);
    expect((await post(`${target.url}/alerts/alertmanager`, webhook)).status).toBe(202);
    await target.engine.idle();
    const incident = (await target.store.listActive()).find((i) => i.key.slo === 'adversarial-refusal-rate')!;
    const { incident: stored, timeline } = await show(incident.id);
    expect(stored.actions?.map((a) => [a.action, a.before.activeVersion, a.after.activeVersion])).toEqual([
      ['kill_switch', 'support-llm-v2', 'support-llm-v2'],
      ['rollback', 'support-llm-v2', 'support-llm-v1'],
    ]);
    expect(await control.get('support-llm')).toMatchObject({ killSwitch: true, activeVersion: 'support-llm-v1' });
    const kinds = timeline.map((e) => e.kind);
    expect(kinds.indexOf('page.triggered')).toBeLessThan(kinds.indexOf('action.kill_switch'));
  });

  it('expires a rollback nobody approved at its deadline, records it, and only then verifies recovery on the containment', async () => {
    const state = (await control.get('support-llm'))!;
    await control.update('support-llm', state.revision, { activeVersion: 'support-llm-v3', killSwitch: false }, 'test: the slow version goes live');
    const startsAt = new Date(Date.now() - 10 * 60_000).toISOString(); // older than the 5 min flap hold
    const webhook = alertmanagerWebhook([{ alertname: 'TimeToFirstTokenP95High', fingerprint: 'd0d0d0d0d0d0d0d0', startsAt, labels: { model_version: 'support-llm-v3' } }]);
    expect((await post(`${target.url}/alerts/alertmanager`, webhook)).status).toBe(202);
    await target.engine.idle();
    const incident = (await target.store.listByWeek(isoWeek(new Date()))).find((i) => i.key.slo === 'ttft-p95')!;
    const { incident: stored, timeline } = await show(incident.id);
    expect(stored.actions?.map((a) => a.action)).toEqual(['degrade_to_safe_mode']);
    expect(stored.pendingRollback).toBeUndefined();
    expect(stored.rollbackDecision).toMatchObject({ outcome: 'expired', by: 'firebreak' });
    const kinds = timeline.map((e) => e.kind);
    expect(kinds.indexOf('rollback.requested')).toBeGreaterThanOrEqual(0);
    expect(kinds.indexOf('rollback.approval_expired')).toBeGreaterThan(kinds.indexOf('rollback.requested'));
    // Recovery is verified once, after the request expired: every recovery entry comes later.
    const firstRecovery = kinds.findIndex((k) => k.startsWith('recovery.') || k === 'incident.mitigated' || k === 'incident.escalated');
    expect(firstRecovery).toBeGreaterThan(kinds.indexOf('rollback.approval_expired'));
    expect(await control.get('support-llm')).toMatchObject({ safeMode: true, activeVersion: 'support-llm-v3' });
  });
});
