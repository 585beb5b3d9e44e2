import { request } from 'node:https';
import { PagerDutyOnCallDirectory } from '../../lambdas/adapters/pagerduty-on-call-directory';
import { PagerDutyPager } from '../../lambdas/adapters/pagerduty-pager';
import { followUpEvent, triggerEvent } from '../../lambdas/core/engagement/page-events';
import { VendorRejectedError, VendorTransientError } from '../../lambdas/core/errors';
import { SIMULATOR_ROUTING_KEY, startPagerDutySimulator, type PagerDutySimulator } from '../../local/simulators/pagerduty-simulator';
import { makeIncident } from '../support/incidents';

/*
 * The PagerDuty adapters against the PagerDuty simulator, over HTTPS on
 * loopback. Waits between attempts go through a recording `sleep`, so the
 * tests assert the backoff without spending it.
 */

const ROSTER = [
  { escalationPolicyId: 'PEPSUPP', email: 'ana@example.com', name: 'Ana Responder' },
  { escalationPolicyId: 'PEPSUPP', email: 'bo@example.com', name: 'Bo Backup' },
  { escalationPolicyId: 'PEPOTHR', email: 'cy@example.com', name: 'Cy Elsewhere' },
];

describe('PagerDutyPager against the PagerDuty simulator', () => {
  let pd: PagerDutySimulator;
  let waits: number[];
  let pager: PagerDutyPager;
  const incident = makeIncident();
  const trigger = triggerEvent(
    incident,
    { objective: '>= 99.9 %', observedValue: 0.971, burnRate: 14.4, modelVersion: '2026-11-01' },
    { incidentUrl: 'https://firebreak.example.com/incidents/inc-20261121-5f2a9c1e', runbookUrl: 'https://firebreak.example.com/runbooks/refusal' },
  );

  beforeAll(async () => {
    pd = await startPagerDutySimulator({ roster: ROSTER });
  });
  afterAll(async () => {
    await pd.close();
  });
  beforeEach(() => {
    pd.reset();
    waits = [];
    pager = new PagerDutyPager({
      routingKey: SIMULATOR_ROUTING_KEY,
      server: pd.server,
      ca: pd.ca,
      timeoutMs: 500,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
  });
  afterEach(() => {
    pager.close();
  });

  it('triggers a page that PagerDuty accepts with 202 and returns the receipt', async () => {
    const receipt = await pager.send(trigger);

    expect(receipt).toEqual({ dedupKey: incident.id, status: 'success', message: 'Event processed', attempts: 1 });
    expect(pd.calls().map((call) => [call.method, call.path, call.status])).toEqual([['POST', '/v2/enqueue', 202]]);
    expect(pd.events()).toEqual([
      {
        routing_key: SIMULATOR_ROUTING_KEY,
        event_action: 'trigger',
        dedup_key: incident.id,
        payload: {
          summary: trigger.summary,
          severity: 'error',
          source: 'firebreak/support-bot',
          component: 'support-llm',
          group: 'support-bot',
          class: 'adversarial-refusal-rate',
          timestamp: incident.breachStartedAt,
          custom_details: expect.objectContaining({ incident_id: incident.id, slo: 'adversarial-refusal-rate', observed_value: 0.971, burn_rate: 14.4 }),
        },
        links: [
          { href: 'https://firebreak.example.com/runbooks/refusal', text: 'Runbook' },
          { href: 'https://firebreak.example.com/incidents/inc-20261121-5f2a9c1e', text: `Incident ${incident.id}` },
        ],
        client: 'Firebreak',
      },
    ]);
  });

  it('records the call without the routing key or other credentials', async () => {
    await pager.send(trigger);

    const [call] = pd.calls();
    expect(call?.body).toMatchObject({ routing_key: '[REDACTED]', event_action: 'trigger' });
    expect(JSON.stringify(call)).not.toContain(SIMULATOR_ROUTING_KEY);
  });

  it('reuses the dedup key for acknowledge and resolve, without a payload', async () => {
    await pager.send(trigger);
    const paged = makeIncident({ page: { dedupKey: incident.id, status: 'triggered', attempts: 1 } });
    const ack = await pager.send(followUpEvent(paged, 'acknowledge'));
    const resolve = await pager.send(followUpEvent(paged, 'resolve'));

    expect([ack.dedupKey, resolve.dedupKey]).toEqual([incident.id, incident.id]);
    expect(pd.events().map((event) => [event['event_action'], event['dedup_key'], 'payload' in event])).toEqual([
      ['trigger', incident.id, true],
      ['acknowledge', incident.id, false],
      ['resolve', incident.id, false],
    ]);
  });

  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    pd.injectFaults([{ status: 429, retryAfter: 7 }]);

    const receipt = await pager.send(trigger);

    expect(receipt.attempts).toBe(2);
    expect(waits).toEqual([7000]);
    // pdjs's own 429 retry is cancelled: exactly one request per attempt.
    expect(pd.calls().map((call) => call.status)).toEqual([429, 202]);
  });

  it('backs off exponentially after a 429 without Retry-After', async () => {
    pd.injectFaults([{ status: 429 }, { status: 429 }]);

    await pager.send(trigger);

    expect(pd.calls().map((call) => call.status)).toEqual([429, 429, 202]);
    expect(waits[0]).toBeGreaterThanOrEqual(500);
    expect(waits[0]).toBeLessThanOrEqual(1000);
    expect(waits[1]).toBeGreaterThanOrEqual(1000);
    expect(waits[1]).toBeLessThanOrEqual(2000);
  });

  it('retries two 500s with backoff and succeeds on the third attempt', async () => {
    pd.injectFaults([{ status: 500 }, { status: 500 }]);

    const receipt = await pager.send(trigger);

    expect(receipt.attempts).toBe(3);
    expect(pd.calls().map((call) => call.status)).toEqual([500, 500, 202]);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(500);
    expect(waits[1]).toBeGreaterThanOrEqual(1000);
  });

  it('retries a 502 whose body is an HTML page, not JSON', async () => {
    pd.injectFaults([{ status: 502 }]);

    const receipt = await pager.send(trigger);

    expect(receipt.attempts).toBe(2);
    expect(pd.calls().map((call) => call.status)).toEqual([502, 202]);
  });

  it('throws VendorRejectedError after a single call when PagerDuty answers 400', async () => {
    pd.injectFaults([{ status: 400 }]);

    const error = await pager.send(trigger).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(VendorRejectedError);
    expect(error).toMatchObject({ vendor: 'pagerduty', code: '400' });
    expect((error as Error).message).toContain('Injected fault: event refused');
    expect(pd.calls()).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it("includes PagerDuty's errors when the simulator itself finds the event invalid", async () => {
    const badKey = new PagerDutyPager({ routingKey: 'too-short', server: pd.server, ca: pd.ca, sleep: async () => undefined });

    const error = await badKey.send(trigger).catch((caught: unknown) => caught);
    badKey.close();

    expect(error).toBeInstanceOf(VendorRejectedError);
    expect((error as Error).message).toContain("Length of 'routing_key' is incorrect (should be 32 characters)");
    expect(pd.calls()).toHaveLength(1);
  });

  it('throws VendorTransientError after maxAttempts calls when PagerDuty keeps answering 503', async () => {
    pd.injectFaults([{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }]);

    const error = await pager.send(trigger).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(VendorTransientError);
    expect((error as Error).message).toMatch(/failed after 3 attempts: HTTP 503/);
    expect(pd.calls().map((call) => call.status)).toEqual([503, 503, 503]);
    expect(waits).toHaveLength(2);
  });

  it('makes as many attempts as the call asks for', async () => {
    pd.injectFaults([{ status: 503 }, { status: 503 }]);

    await expect(pager.send(trigger, { maxAttempts: 1 })).rejects.toBeInstanceOf(VendorTransientError);
    expect(pd.calls()).toHaveLength(1);
  });

  it('passes on the Retry-After of the last 429 when the attempts run out', async () => {
    pd.injectFaults([{ status: 429, retryAfter: 2 }, { status: 429, retryAfter: 3 }]);

    const error = await pager.send(trigger, { maxAttempts: 2 }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(VendorTransientError);
    expect(error).toMatchObject({ retryAfterSeconds: 3 });
    expect(waits).toEqual([2000]);
  });

  it('does not wait in-process for a Retry-After longer than maxDelayMs', async () => {
    pd.injectFaults([{ status: 429, retryAfter: 120 }]);

    const error = await pager.send(trigger).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(VendorTransientError);
    expect(error).toMatchObject({ retryAfterSeconds: 120 });
    expect(waits).toEqual([]);
    expect(pd.calls()).toHaveLength(1);
  });

  it('retries an attempt that gets no answer within timeoutMs', async () => {
    pd.injectFaults([{ delayMs: 1500 }]);

    const receipt = await pager.send(trigger);

    expect(receipt.attempts).toBe(2);
    expect(waits).toHaveLength(1);
  });

  it('retries when nothing listens on the server (connection refused)', async () => {
    const unreachable = new PagerDutyPager({ routingKey: SIMULATOR_ROUTING_KEY, server: '127.0.0.1:1', sleep: async (ms) => void waits.push(ms) });

    const error = await unreachable.send(trigger, { maxAttempts: 2 }).catch((caught: unknown) => caught);
    unreachable.close();

    expect(error).toBeInstanceOf(VendorTransientError);
    expect((error as Error).message).toContain('network error');
    expect(waits).toHaveLength(1);
  });

  it('does not trust the simulator certificate unless given its CA, and does not retry that', async () => {
    const untrusting = new PagerDutyPager({ routingKey: SIMULATOR_ROUTING_KEY, server: pd.server, sleep: async (ms) => void waits.push(ms) });

    const error = await untrusting.send(trigger).catch((caught: unknown) => caught);
    untrusting.close();

    expect(error).toBeInstanceOf(VendorRejectedError);
    expect(error).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect((error as Error).message).toMatch(/certificate/i);
    expect(waits).toEqual([]);
    expect(pd.calls()).toEqual([]);
  });
});

describe('PagerDutyOnCallDirectory against the PagerDuty simulator', () => {
  let pd: PagerDutySimulator;
  const directories: PagerDutyOnCallDirectory[] = [];

  const TOKEN = 'u+test-token';

  function directory(token = TOKEN): PagerDutyOnCallDirectory {
    const made = new PagerDutyOnCallDirectory({ token, server: pd.server, ca: pd.ca });
    directories.push(made);
    return made;
  }

  beforeAll(async () => {
    pd = await startPagerDutySimulator({ roster: ROSTER, apiToken: TOKEN });
  });
  afterAll(async () => {
    for (const made of directories) made.close();
    await pd.close();
  });
  beforeEach(() => pd.reset());

  it('returns the e-mail addresses of who is on call for the escalation policy', async () => {
    await expect(directory().onCallEmails(['PEPSUPP'])).resolves.toEqual(['ana@example.com', 'bo@example.com']);

    const [call] = pd.calls();
    const query = new URL(call?.path ?? '', 'https://x.invalid').searchParams;
    expect(query.getAll('escalation_policy_ids[]')).toEqual(['PEPSUPP']);
    expect(query.getAll('include[]')).toEqual(['users']);
    expect(call?.headers['authorization']).toBe('Token token=[REDACTED]');
    expect(call?.headers['accept']).toBe('application/vnd.pagerduty+json;version=2');
  });

  it('returns everyone on call, once each, when no escalation policy is given', async () => {
    await expect(directory().onCallEmails([])).resolves.toEqual(['ana@example.com', 'bo@example.com', 'cy@example.com']);
  });

  it('reads every page of a long on-call list', async () => {
    const crowd = Array.from({ length: 130 }, (_, n) => ({ escalationPolicyId: 'PEPBIG', email: `oncall-${n}@example.com`, name: `On-call ${n}` }));
    const big = await startPagerDutySimulator({ roster: crowd });
    const reader = new PagerDutyOnCallDirectory({ token: TOKEN, server: big.server, ca: big.ca });
    try {
      const emails = await reader.onCallEmails(['PEPBIG']);

      expect(emails).toHaveLength(130);
      expect(big.calls().map((call) => new URL(call.path, 'https://x.invalid').searchParams.get('offset'))).toEqual(['0', '100']);
    } finally {
      reader.close();
      await big.close();
    }
  });

  it('treats a roster entry for escalation policy * as on call for every policy asked about', async () => {
    const anyPolicy = await startPagerDutySimulator({ roster: [{ escalationPolicyId: '*', email: 'dee@example.com', name: 'Dee Anywhere' }] });
    const reader = new PagerDutyOnCallDirectory({ token: TOKEN, server: anyPolicy.server, ca: anyPolicy.ca });
    try {
      await expect(reader.onCallEmails(['PEPSUPP', 'PEPOTHR'])).resolves.toEqual(['dee@example.com']);
    } finally {
      reader.close();
      await anyPolicy.close();
    }
  });

  it('returns no one for an escalation policy without on-calls', async () => {
    await expect(directory().onCallEmails(['PEPNONE'])).resolves.toEqual([]);
  });

  it('answers 401 with a PagerDuty error body to a request without a token', async () => {
    const answer = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const [host, port] = pd.server.split(':');
      const req = request({ host, port: Number(port), path: '/oncalls?include%5B%5D=users', ca: pd.ca, method: 'GET' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', reject);
      req.end();
    });

    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toEqual({ error: { message: 'Authentication failed', code: 2006 } });
  });

  it('throws VendorRejectedError when PagerDuty refuses the token with 401', async () => {
    const error = await directory('u+someone-elses-token').onCallEmails(['PEPSUPP']).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(VendorRejectedError);
    expect(error).toMatchObject({ vendor: 'pagerduty', code: '401' });
    expect((error as Error).message).toContain('Authentication failed (code 2006)');
    expect(pd.calls().map((call) => [call.status, call.headers['authorization']])).toEqual([[401, 'Token token=[REDACTED]']]);
  });

  it('refuses to be built without a token', () => {
    expect(() => directory('  ')).toThrow(RangeError);
  });

  it('throws VendorTransientError with the delay on a 429', async () => {
    pd.injectFaults([{ status: 429, retryAfter: 30 }]);

    const error = await directory().onCallEmails(['PEPSUPP']).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(VendorTransientError);
    expect(error).toMatchObject({ retryAfterSeconds: 30 });
    expect(pd.calls()).toHaveLength(1);
  });

  it('throws VendorTransientError on a 503 with an HTML body', async () => {
    pd.injectFaults([{ status: 503 }]);

    await expect(directory().onCallEmails(['PEPSUPP'])).rejects.toBeInstanceOf(VendorTransientError);
  });
});
