import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../../lambdas/core/errors';
import { AlertObservationSchema, normaliseTimestamp, parseAlertmanagerWebhook } from '../../lambdas/core/alerts';

const FIXTURES = path.resolve(__dirname, '../fixtures/alertmanager');

/** A fresh copy of one of our Alertmanager fixtures (a webhook body). */
function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

/** The first alert of a fixture, for tests that edit it. */
function firstAlert(body: Record<string, unknown>): Record<string, unknown> {
  return (body['alerts'] as Record<string, unknown>[])[0] as Record<string, unknown>;
}

function invalidInput(body: unknown): InvalidInputError {
  try {
    parseAlertmanagerWebhook(body);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError, but the body parsed');
}

describe('parseAlertmanagerWebhook', () => {
  it.each(readdirSync(FIXTURES).filter((f) => f.endsWith('.json')))(
    'produces observations that satisfy the observation schema from %s',
    (name) => {
      for (const observation of parseAlertmanagerWebhook(fixture(name)).observations) {
        expect(AlertObservationSchema.safeParse(observation).error).toBeUndefined();
      }
    },
  );

  it('returns one firing observation per alert of a firing group', () => {
    const delivery = parseAlertmanagerWebhook(fixture('firing-group.json'));

    expect(delivery.ignored).toEqual([]);
    expect(delivery.truncatedAlerts).toBe(0);
    expect(delivery.observations).toHaveLength(2);
    expect(delivery.observations[0]).toEqual({
      source: 'alertmanager',
      format: 'alertmanager-v4',
      status: 'firing',
      identity: '6a1c0b1f3e9d2a47',
      name: 'TTFTp95High',
      labels: {
        alertname: 'TTFTp95High',
        model: 'support-llm',
        service: 'support-bot',
        severity: 'page',
        slo: 'ttft',
        region: 'eu-west-1',
      },
      annotations: expect.objectContaining({ value: '2.73' }),
      startsAt: '2026-03-14T08:26:53.589Z',
      observedAt: '2026-03-14T08:26:53.589Z',
      observedValue: 2.73,
      summary: 'support-llm p95 time to first token above 2s for 10m',
      sourceUrl: expect.stringMatching(/^http:\/\/prometheus\.internal:9090\/graph\?g0\.expr=/),
      groupKey: '{}:{alertname="TTFTp95High", service="support-bot"}',
    });
  });

  it('normalises fractional seconds and offsets to ISO UTC and leaves a zero endsAt unset', () => {
    const [first, second] = parseAlertmanagerWebhook(fixture('firing-group.json')).observations;

    expect(first?.startsAt).toBe('2026-03-14T08:26:53.589Z'); // was 09:26:53.589793238+01:00
    expect(second?.startsAt).toBe('2026-03-14T08:27:10.500Z'); // was 08:27:10.5Z
    expect(first?.endsAt).toBeUndefined();
  });

  it("keeps each alert's own status in a mixed group", () => {
    const delivery = parseAlertmanagerWebhook(fixture('mixed-firing-resolved.json'));

    expect(delivery.observations.map((o) => [o.identity, o.status])).toEqual([
      ['9f0d7e3c21ab4658', 'firing'],
      ['1b7a6c5d4e3f2a10', 'resolved'],
    ]);
  });

  it('takes observedAt from startsAt when firing and from endsAt when resolved', () => {
    const [firing, resolved] = parseAlertmanagerWebhook(fixture('mixed-firing-resolved.json')).observations;

    expect(firing).toMatchObject({ startsAt: '2026-03-14T10:05:00.000Z', observedAt: '2026-03-14T10:05:00.000Z' });
    expect(firing?.endsAt).toBeUndefined();
    expect(resolved).toMatchObject({
      startsAt: '2026-03-14T09:50:00.000Z',
      endsAt: '2026-03-14T10:04:30.250Z',
      observedAt: '2026-03-14T10:04:30.250Z',
    });
  });

  it('returns every alert of a resolved group as resolved with its end time', () => {
    const [alert] = parseAlertmanagerWebhook(fixture('resolved.json')).observations;

    expect(alert).toMatchObject({
      status: 'resolved',
      identity: '6a1c0b1f3e9d2a47',
      endsAt: '2026-03-14T09:41:23.004Z',
      observedValue: 1.42,
    });
  });

  it('reports the number of alerts Alertmanager left out', () => {
    const delivery = parseAlertmanagerWebhook(fixture('truncated.json'));

    expect(delivery.truncatedAlerts).toBe(3);
    expect(delivery.observations).toHaveLength(2);
  });

  it('counts zero truncated alerts when an older Alertmanager omits the field', () => {
    const body = fixture('firing-group.json');
    delete body['truncatedAlerts'];

    expect(parseAlertmanagerWebhook(body).truncatedAlerts).toBe(0);
  });

  it('tolerates and ignores newer keys such as notification_reason and routeLabels', () => {
    const body = fixture('newer-keys.json');
    expect(body).toHaveProperty('notification_reason');
    expect(body).toHaveProperty('routeLabels');

    const [alert] = parseAlertmanagerWebhook(body).observations;

    expect(alert).toMatchObject({ identity: '77aa88bb99cc00dd', status: 'firing' });
    expect(alert).not.toHaveProperty('silenceURL');
    expect(alert?.labels).not.toHaveProperty('team');
  });

  it('takes evidenceUri from the evidence_uri annotation, else from the label', () => {
    const [fromAnnotation, fromLabel] = parseAlertmanagerWebhook(fixture('truncated.json')).observations;

    expect(fromAnnotation?.evidenceUri).toBe('s3://firebreak-evidence/support-bot/canary/acme.jsonl');
    expect(fromLabel?.evidenceUri).toBe('s3://firebreak-evidence/support-bot/canary/globex.jsonl');
    expect(parseAlertmanagerWebhook(fixture('firing-group.json')).observations[0]?.evidenceUri).toBeUndefined();
  });

  it('takes observedValue from a numeric value or observed_value annotation only', () => {
    const [fromObservedValue] = parseAlertmanagerWebhook(fixture('mixed-firing-resolved.json')).observations;
    const [notNumeric] = parseAlertmanagerWebhook(fixture('newer-keys.json')).observations;

    expect(fromObservedValue?.observedValue).toBe(0.912);
    expect(notNumeric?.annotations['value']).toBe('n/a');
    expect(notNumeric).not.toHaveProperty('observedValue');
  });

  it('summarises with the summary annotation, else the description, else the alertname', () => {
    const [withSummary] = parseAlertmanagerWebhook(fixture('truncated.json')).observations;
    const [withDescription] = parseAlertmanagerWebhook(fixture('mixed-firing-resolved.json')).observations;
    const body = fixture('resolved.json');
    firstAlert(body)['annotations'] = {};
    const [withNeither] = parseAlertmanagerWebhook(body).observations;

    expect(withSummary?.summary).toBe('Canary token leaked in a support-bot answer');
    expect(withDescription?.summary).toBe('Refusal rate on the adversarial jailbreak suite is 91.2% (objective 99%)');
    expect(withNeither?.summary).toBe('TTFTp95High');
  });

  it('identifies an alert without fingerprint by a sha256 of its sorted labels', () => {
    const body = fixture('resolved.json');
    const alert = firstAlert(body);
    delete alert['fingerprint'];
    const reordered = fixture('resolved.json');
    const reorderedAlert = firstAlert(reordered);
    delete reorderedAlert['fingerprint'];
    reorderedAlert['labels'] = Object.fromEntries(Object.entries(alert['labels'] as object).reverse());

    const identity = parseAlertmanagerWebhook(body).observations[0]?.identity;

    expect(identity).toMatch(/^[0-9a-f]{64}$/);
    expect(parseAlertmanagerWebhook(reordered).observations[0]?.identity).toBe(identity);
  });

  it('returns the same observations for the same delivery (no clock involved)', () => {
    expect(parseAlertmanagerWebhook(fixture('mixed-firing-resolved.json'))).toEqual(
      parseAlertmanagerWebhook(fixture('mixed-firing-resolved.json')),
    );
  });

  it('returns no observations for an empty alert list', () => {
    const body = fixture('resolved.json');
    body['alerts'] = [];

    expect(parseAlertmanagerWebhook(body).observations).toEqual([]);
  });

  describe('rejects', () => {
    it('a payload of another version, saying version "4" is expected', () => {
      const body = fixture('firing-group.json');
      body['version'] = '3';

      const error = invalidInput(body);

      expect(error.name).toBe('InvalidInputError');
      expect(error.subject).toBe('Alertmanager webhook');
      expect(error.issues).toEqual([{ path: 'version', message: expect.stringContaining('expected "4"') }]);
    });

    it('a payload without alerts', () => {
      const body = fixture('firing-group.json');
      delete body['alerts'];

      expect(invalidInput(body).issues).toEqual([{ path: 'alerts', message: 'expected an array of alerts' }]);
    });

    it('an alert without alertname label, naming the path', () => {
      const body = fixture('firing-group.json');
      delete (firstAlert(body)['labels'] as Record<string, unknown>)['alertname'];

      expect(invalidInput(body).issues).toEqual([
        { path: 'alerts[0].labels.alertname', message: 'expected string, but it is missing' },
      ]);
    });

    it('a wrongly typed label value, naming the path', () => {
      const body = fixture('firing-group.json');
      (firstAlert(body)['labels'] as Record<string, unknown>)['severity'] = 3;

      expect(invalidInput(body).issues).toEqual([
        { path: 'alerts[0].labels.severity', message: 'expected string, received number' },
      ]);
    });

    it('an unknown alert status and an unparseable startsAt, reporting both', () => {
      const body = fixture('mixed-firing-resolved.json');
      const alerts = body['alerts'] as Record<string, unknown>[];
      (alerts[0] as Record<string, unknown>)['status'] = 'pending';
      (alerts[1] as Record<string, unknown>)['startsAt'] = 'yesterday';

      expect(invalidInput(body).issues).toEqual([
        { path: 'alerts[0].status', message: 'expected "firing" or "resolved"' },
        { path: 'alerts[1].startsAt', message: expect.stringContaining('expected a timestamp') },
      ]);
    });

    it('a body that is not an object', () => {
      expect(invalidInput('not json').issues).toEqual([{ path: '', message: 'expected object, received string' }]);
      expect(invalidInput(null).message).toContain('(root)');
    });
  });
});

describe('normaliseTimestamp', () => {
  it.each([
    ['2020-07-21T01:05:31.551+0000', '2020-07-21T01:05:31.551Z'],
    ['2026-11-21T23:21:35.123456789+02:00', '2026-11-21T21:21:35.123Z'],
    ['2026-11-21T23:21:35Z', '2026-11-21T23:21:35.000Z'],
    ['2026-03-14T23:30:00-0130', '2026-03-15T01:00:00.000Z'],
  ])('turns %s into %s', (raw, iso) => {
    expect(normaliseTimestamp(raw)).toBe(iso);
  });

  it.each(['date', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-03-14T24:00:00Z', '14/03/26 09:26:00', ''])(
    'returns undefined for %j, which is not a timestamp',
    (raw) => {
      expect(normaliseTimestamp(raw)).toBeUndefined();
    },
  );
});
