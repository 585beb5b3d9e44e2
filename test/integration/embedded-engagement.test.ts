import type { EmbeddedTarget } from '../../local/embedded';
import type { Incident, TimelineEntry } from '../../lambdas/core/incident';
import { alertmanagerWebhook, pagerDutyWebhook, slashCommandBody } from '../support/payloads';
import { getJson, post, startTestTarget } from '../support/embedded';
import { pagerDutySignature, slackSignedHeaders } from '../support/signing';

const RESPONDER = 'U0RESPONDER';
const FAST = { 'Open The Incident Channel': 10, 'Retry The Page': 10, 'Resolve The Page': 10, 'Acknowledge The Page': 10, 'Update The Incident Channel': 10 };

describe('embedded target: paging on-call and the Slack incident channel', () => {
  let target: EmbeddedTarget;
  let fingerprint = 0;

  beforeAll(async () => {
    process.env.FIREBREAK_RESPONDERS = RESPONDER;
    target = await startTestTarget({ retryIntervalOverrides: FAST });
  });
  afterAll(async () => {
    await target.engine.idle();
    await target.close();
    delete process.env.FIREBREAK_RESPONDERS;
  });
  beforeEach(() => {
    target.simulators.pagerduty!.reset();
    target.simulators.slack!.reset();
  });

  const pd = () => target.simulators.pagerduty!;
  const slack = () => target.simulators.slack!;
  const show = async (id: string) => (await getJson<{ incident: Incident; timeline: TimelineEntry[] }>(`${target.url}/incidents/${id}`)).body;
  /** A never-event alert (flap hold 0 s) with a fresh identity, delivered `times` times; returns its incident. */
  async function breach(times = 1): Promise<Incident> {
    fingerprint += 1;
    const webhook = alertmanagerWebhook([{ alertname: 'PromptInjectionDetected', fingerprint: `e0e0e0e0e0e0${String(fingerprint).padStart(4, '0')}`, labels: { model: `m-${fingerprint}` } }]);
    for (let i = 0; i < times; i += 1) expect((await post(`${target.url}/alerts/alertmanager`, webhook)).status).toBe(202);
    await target.engine.idle();
    const active = (await target.store.listActive()).filter((i) => i.key.model === `m-${fingerprint}`);
    expect(active).toHaveLength(1);
    return active[0]!;
  }
  // Escalations (recovery not verified) re-send the trigger at critical: not a second page of the incident.
  const triggers = () => pd().events().filter((e) => e.event_action === 'trigger' && !String((e.payload as { summary?: string } | undefined)?.summary).startsWith('[ESCALATED]'));

  it('pages once, before any Slack call, and opens a channel with on-call and the responders in it', async () => {
    const incident = await breach(3);
    expect(triggers()).toHaveLength(1);
    const trigger = triggers()[0]!;
    expect(trigger).toMatchObject({ dedup_key: incident.id, payload: { severity: 'critical', class: 'prompt-injection-never-event', component: incident.key.model, group: 'support-bot' } });
    expect(String((trigger.payload as { summary: string }).summary)).toContain(incident.id);

    const firstTrigger = pd().calls().find((c) => c.path === '/v2/enqueue')!;
    const firstSlack = slack().calls()[0]!;
    expect(Date.parse(firstTrigger.at)).toBeLessThanOrEqual(Date.parse(firstSlack.at));

    const { incident: stored, timeline } = await show(incident.id);
    expect(stored.page).toMatchObject({ status: 'triggered', dedupKey: incident.id });
    expect(stored.channel?.name).toMatch(/^inc-\d{8}-prompt-injection-never-event-[0-9a-f]{8}$/);
    const channel = slack().channels().find((c) => c.id === stored.channel!.id)!;
    expect(channel.members).toEqual(expect.arrayContaining(['U0ONCALL01', RESPONDER]));
    expect(channel.pins).toHaveLength(1);
    expect(channel.topic).not.toBe('');
    const kinds = timeline.map((e) => e.kind);
    expect(kinds.indexOf('page.triggered')).toBeLessThan(kinds.indexOf('channel.opened'));
  });

  it('opens the channel even when PagerDuty rejects the page, and records the rejection', async () => {
    pd().injectFaults([{ status: 400 }]);
    const incident = await breach();
    const { incident: stored, timeline } = await show(incident.id);
    expect(stored.page).toMatchObject({ status: 'failed' });
    expect(timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['page.rejected', 'channel.opened']));
    expect(stored.channel).toBeDefined();
  });

  it('retries a page that failed with a PagerDuty 500 and gets it through', async () => {
    pd().injectFaults([{ status: 500 }, { status: 500 }]);
    const incident = await breach();
    const { incident: stored, timeline } = await show(incident.id);
    expect(stored.page?.status).toBe('triggered');
    expect(timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['page.failed', 'page.triggered', 'channel.opened']));
  });

  it('pages even when Slack keeps failing, and records the channel failure', async () => {
    slack().injectFaults(Array.from({ length: 40 }, () => ({ status: 500 })));
    const incident = await breach();
    const { incident: stored, timeline } = await show(incident.id);
    expect(stored.page?.status).toBe('triggered');
    expect(stored.channel).toBeUndefined();
    expect(timeline.map((e) => e.kind)).toContain('open-channel.failed');
  });

  it('acknowledges from PagerDuty: the incident and the Slack channel follow, and nothing is sent back to PagerDuty', async () => {
    const incident = await breach();
    const body = JSON.stringify(pagerDutyWebhook('incident.acknowledged', incident.id));
    const res = await fetch(`${target.url}/pagerduty/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pagerduty-signature': pagerDutySignature(body, process.env.PAGERDUTY_WEBHOOK_SECRET!) },
      body,
    });
    expect(res.status).toBe(200);
    await target.engine.idle();
    const { incident: stored } = await show(incident.id);
    expect(stored.status).toBe('acknowledged');
    expect(pd().events().filter((e) => e.event_action === 'acknowledge')).toHaveLength(0);
    const thread = slack().messages(stored.channel!.id).filter((m) => m.threadTs === stored.channel!.summaryTs);
    expect(thread.map((m) => m.text).join('\n')).toContain('acknowledged');
  });

  it('refuses a PagerDuty webhook with a bad signature with 401', async () => {
    const body = JSON.stringify(pagerDutyWebhook('incident.resolved', 'inc-20261121-00000000'));
    const res = await fetch(`${target.url}/pagerduty/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-pagerduty-signature': 'v1=00' }, body });
    expect(res.status).toBe(401);
  });

  it('resolves from /incident resolve in the channel: PagerDuty resolved, summary updated', async () => {
    const incident = await breach();
    const { incident: opened } = await show(incident.id);
    const body = slashCommandBody('resolve rolled back the guardrail config', opened.channel!.id, RESPONDER);
    const res = await fetch(`${target.url}/slack/commands`, { method: 'POST', headers: slackSignedHeaders(body, process.env.SLACK_SIGNING_SECRET!), body });
    expect(res.status).toBe(200);
    await target.engine.idle();
    const { incident: stored } = await show(incident.id);
    expect(stored).toMatchObject({ status: 'closed', resolution: { by: RESPONDER, via: 'slack' } });
    expect(pd().events().filter((e) => e.event_action === 'resolve').map((e) => e.dedup_key)).toEqual([incident.id]);
    expect(slack().calls().map((c) => c.method)).toContain('chat.update');
  });

  it('refuses a slash command with a bad signature with 401', async () => {
    const body = slashCommandBody('list', 'C0NOTHING', RESPONDER);
    const res = await fetch(`${target.url}/slack/commands`, { method: 'POST', headers: slackSignedHeaders(body, 'wrong-secret'), body });
    expect(res.status).toBe(401);
  });

  it('resolves the page when every alert of the incident resolves', async () => {
    const incident = await breach();
    const alert = Object.keys(incident.alerts)[0]!;
    const webhook = alertmanagerWebhook([{ alertname: 'PromptInjectionDetected', fingerprint: alert, labels: { model: incident.key.model }, status: 'resolved', startsAt: incident.breachStartedAt }]);
    expect((await post(`${target.url}/alerts/alertmanager`, webhook)).status).toBe(202);
    await target.engine.idle();
    const { incident: stored } = await show(incident.id);
    expect(stored.status).toBe('closed');
    expect(pd().events().filter((e) => e.event_action === 'resolve').map((e) => e.dedup_key)).toEqual([incident.id]);
  });

  it('posts an alert that joins the incident to the channel thread, without paging again', async () => {
    const incident = await breach();
    const { incident: opened } = await show(incident.id);
    const joining = alertmanagerWebhook([{ alertname: 'PromptInjectionDetected', fingerprint: 'f0f0f0f0f0f0f0f0', labels: { model: incident.key.model } }]);
    expect((await post(`${target.url}/alerts/alertmanager`, joining)).status).toBe(202);
    await target.engine.idle();
    const thread = slack().messages(opened.channel!.id).filter((m) => m.threadTs === opened.channel!.summaryTs);
    expect(thread.map((m) => m.text)).toContainEqual('alertmanager alert PromptInjectionDetected is firing: 2 of 2 alert(s) of this incident firing');
    expect(triggers()).toHaveLength(1);
  });

  it('serves the simulators’ recorded calls', async () => {
    await breach();
    const pdCalls = (await getJson<{ calls: unknown[] }>(`${target.url}/simulators/pagerduty`)).body.calls;
    const slackCalls = (await getJson<{ calls: { method: string }[] }>(`${target.url}/simulators/slack`)).body.calls;
    expect(pdCalls.length).toBeGreaterThan(0);
    expect(slackCalls.map((c) => c.method)).toEqual(expect.arrayContaining(['conversations.create', 'conversations.setTopic', 'chat.postMessage', 'pins.add', 'conversations.invite']));
    expect(JSON.stringify(pdCalls)).not.toContain('f1rebreak0simulated0routing0key0');
  });
});
