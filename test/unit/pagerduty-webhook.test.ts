import { createHmac } from 'node:crypto';
import { InvalidInputError } from '../../lambdas/core/errors';
import { parsePagerDutyWebhook, verifyPagerDutySignature } from '../../lambdas/core/engagement/pagerduty-webhook';

const SECRET = 'whsec-test-5f2a9c1e';

function sign(body: string, secret = SECRET): string {
  return `v1=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** A v3 delivery shaped like PagerDuty's documented example (developer-docs webhooks/01-Overview.md). */
function delivery(eventType: string, data: Record<string, unknown> = {}, agent: unknown = USER_AGENT): Record<string, unknown> {
  return {
    event: {
      id: '5ac64822-4adc-4fda-ade0-410becf0de4f',
      event_type: eventType,
      resource_type: 'incident',
      occurred_at: '2026-11-21T10:05:22.169Z',
      agent,
      client: null,
      data: {
        id: 'PGR0VU2',
        type: 'incident',
        self: 'https://api.pagerduty.com/incidents/PGR0VU2',
        html_url: 'https://acme.pagerduty.com/incidents/PGR0VU2',
        number: 2,
        status: eventType === 'incident.resolved' ? 'resolved' : 'acknowledged',
        incident_key: 'inc-20261121-5f2a9c1e',
        created_at: '2026-11-21T10:02:06Z',
        title: '[SEV2] SLO adversarial-refusal-rate breached on support-bot (model support-llm)',
        urgency: 'high',
        resolve_reason: null,
        ...data,
      },
    },
  };
}

const USER_AGENT = {
  html_url: 'https://acme.pagerduty.com/users/PLH1HKV',
  id: 'PLH1HKV',
  self: 'https://api.pagerduty.com/users/PLH1HKV',
  summary: 'Tenex Engineer',
  type: 'user_reference',
};

describe('verifyPagerDutySignature', () => {
  const body = JSON.stringify(delivery('incident.acknowledged'));

  it('accepts the v1 HMAC-SHA256 of the raw body', () => {
    expect(verifyPagerDutySignature(body, sign(body), SECRET)).toBe(true);
  });

  it('accepts a header with several signatures when one of them matches (secret rotation)', () => {
    const header = `${sign(body, 'old-secret')},${sign(body)}`;
    expect(verifyPagerDutySignature(body, header, SECRET)).toBe(true);
    expect(verifyPagerDutySignature(body, `${sign(body)}, ${sign(body, 'old-secret')}`, SECRET)).toBe(true);
  });

  it('rejects a signature made with another secret', () => {
    expect(verifyPagerDutySignature(body, sign(body, 'someone-else'), SECRET)).toBe(false);
    expect(verifyPagerDutySignature(body, `${sign(body, 'a')},${sign(body, 'b')}`, SECRET)).toBe(false);
  });

  it('rejects a signature of a different body', () => {
    expect(verifyPagerDutySignature(`${body} `, sign(body), SECRET)).toBe(false);
  });

  it('rejects a missing or empty header', () => {
    expect(verifyPagerDutySignature(body, undefined, SECRET)).toBe(false);
    expect(verifyPagerDutySignature(body, '', SECRET)).toBe(false);
  });

  it('rejects signatures of another version and malformed values', () => {
    const hex = sign(body).slice(3);
    expect(verifyPagerDutySignature(body, `v0=${hex}`, SECRET)).toBe(false);
    expect(verifyPagerDutySignature(body, hex, SECRET)).toBe(false);
    expect(verifyPagerDutySignature(body, 'v1=', SECRET)).toBe(false);
    expect(verifyPagerDutySignature(body, `v1=${hex.slice(0, 10)}`, SECRET)).toBe(false);
  });

  it('never verifies against an empty secret', () => {
    expect(verifyPagerDutySignature(body, sign(body, ''), '')).toBe(false);
  });

  it('signs the UTF-8 bytes of a body with non-ASCII text', () => {
    const unicode = JSON.stringify(delivery('incident.resolved', { title: 'Störung – 障害 inc-20261121-5f2a9c1e' }));
    expect(verifyPagerDutySignature(unicode, sign(unicode), SECRET)).toBe(true);
  });
});

describe('parsePagerDutyWebhook', () => {
  it('parses incident.acknowledged into an acknowledged event with who did it', () => {
    expect(parsePagerDutyWebhook(delivery('incident.acknowledged'))).toEqual({
      eventId: '5ac64822-4adc-4fda-ade0-410becf0de4f',
      type: 'acknowledged',
      dedupKey: 'inc-20261121-5f2a9c1e',
      pagerDutyIncidentId: 'PGR0VU2',
      title: '[SEV2] SLO adversarial-refusal-rate breached on support-bot (model support-llm)',
      agent: 'Tenex Engineer',
      agentType: 'user_reference',
      occurredAt: '2026-11-21T10:05:22.169Z',
    });
  });

  it('parses incident.resolved into a resolved event', () => {
    const parsed = parsePagerDutyWebhook(delivery('incident.resolved'));
    expect(parsed).toMatchObject({ type: 'resolved', dedupKey: 'inc-20261121-5f2a9c1e', pagerDutyIncidentId: 'PGR0VU2' });
  });

  it('takes the dedup key from the title when incident_key is null, as for Events API v2 incidents', () => {
    const parsed = parsePagerDutyWebhook(
      delivery('incident.resolved', { incident_key: null, title: '[SEV2] SLO refusal breached on support-bot (model support-llm) inc-20261121-5f2a9c1e' }),
    );
    expect(parsed).toMatchObject({ type: 'resolved', dedupKey: 'inc-20261121-5f2a9c1e' });
  });

  it('prefers a Firebreak incident id in the title over a key PagerDuty generated', () => {
    const parsed = parsePagerDutyWebhook(
      delivery('incident.acknowledged', { incident_key: 'd3640fbd41094207a1c11e58e46b1662', title: 'x inc-20261121-5f2a9c1e' }),
    );
    expect(parsed).toMatchObject({ dedupKey: 'inc-20261121-5f2a9c1e' });
  });

  it('ignores an incident event that carries no dedup key, naming the PagerDuty incident', () => {
    const parsed = parsePagerDutyWebhook(delivery('incident.acknowledged', { incident_key: null, title: 'Disk full on db01' }));
    expect(parsed).toEqual({ ignored: expect.stringMatching(/PGR0VU2 carries no dedup key/) });
  });

  it('ignores a resolution that only merged the PagerDuty incident into another one', () => {
    const merged = delivery('incident.resolved', {
      resolve_reason: { type: 'merge_resolve_reason', incident: { id: 'PABC123', type: 'incident_reference' } },
    });
    expect(parsePagerDutyWebhook(merged)).toEqual({ ignored: expect.stringContaining('merging') });
  });

  it('leaves out the agent when PagerDuty itself did it', () => {
    const parsed = parsePagerDutyWebhook(delivery('incident.resolved', {}, null));
    expect(parsed).not.toHaveProperty('agent');
    expect(parsed).not.toHaveProperty('agentType');
  });

  it('reports an Events API integration as the agent type when an API event resolved the incident', () => {
    const integration = { id: 'PXMQRWJ', summary: 'Events API V2', type: 'inbound_integration_reference' };
    expect(parsePagerDutyWebhook(delivery('incident.resolved', {}, integration))).toMatchObject({
      agent: 'Events API V2',
      agentType: 'inbound_integration_reference',
    });
  });

  it.each(['incident.triggered', 'incident.annotated', 'incident.escalated', 'incident.reopened', 'service.updated', 'toString'])(
    'ignores %s with a reason',
    (eventType) => {
      expect(parsePagerDutyWebhook(delivery(eventType))).toEqual({ ignored: expect.stringContaining(`"${eventType}" is not acted on`) });
    },
  );

  it('ignores the pagey.ping test delivery', () => {
    // As PagerDuty sends it from "Send test event" (captured in a public receiver's tests).
    const ping = {
      event: {
        id: '01FKZOXA868SHYEE4DVNWB5P9W',
        event_type: 'pagey.ping',
        resource_type: 'pagey',
        occurred_at: '2025-04-07T03:00:55.532Z',
        agent: { id: 'PVE0ZR9', type: 'user_reference' },
        client: null,
        data: { message: 'Hello from your friend Pagey!', type: 'ping' },
      },
    };
    expect(parsePagerDutyWebhook(ping)).toEqual({ ignored: expect.stringContaining('pagey.ping') });
  });

  it('throws InvalidInputError naming each problem of a malformed envelope', () => {
    const bad = { event: { id: '', event_type: 'incident.resolved', occurred_at: 'yesterday', data: {} } };
    const error = captureError(() => parsePagerDutyWebhook(bad));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).subject).toBe('PagerDuty webhook');
    expect((error as InvalidInputError).issues.map((issue) => issue.path).sort()).toEqual(['event.id', 'event.occurred_at', 'event.resource_type']);
  });

  it('throws InvalidInputError for an acted-on event whose incident is malformed', () => {
    const error = captureError(() => parsePagerDutyWebhook(delivery('incident.acknowledged', { id: 42, type: 'incident_note' })));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues.map((issue) => issue.path).sort()).toEqual(['event.data.id', 'event.data.type']);
  });

  it.each([null, 'text', [], {}])('throws InvalidInputError for a body that is not a delivery: %p', (body) => {
    expect(() => parsePagerDutyWebhook(body)).toThrow(InvalidInputError);
  });
});

function captureError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
