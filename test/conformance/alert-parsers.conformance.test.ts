import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AlertObservationSchema,
  parseAlertmanagerWebhook,
  parseCloudWatchAlarm,
  type AlertFormat,
  type AlertObservation,
  type AlertStatus,
  type ParsedDelivery,
} from '../../lambdas/core/alerts';

/*
 * Conformance: every reference payload in the shared fixtures directory (real
 * vendor output, see its SOURCES.md) parses without throwing and yields the
 * expected observations. When the directory is absent the suite says so in a
 * passing test and on stderr, rather than skipping silently.
 */

const ROOT = process.env['FIREBREAK_SHARED_FIXTURES']
  ? path.resolve(process.env['FIREBREAK_SHARED_FIXTURES'])
  : path.resolve(__dirname, '../../../shared/fixtures');

interface Expected {
  /** Wire form of every observation; omitted when there are none. */
  readonly format?: AlertFormat;
  /** Status of each observation, in payload order. */
  readonly statuses: readonly AlertStatus[];
  /** Number of `ignored` entries, and what their reason mentions. */
  readonly ignored?: { readonly count: number; readonly reason: RegExp };
  readonly truncatedAlerts?: number;
  /** Fields the first observation must have, where a fixture pins down a rule. */
  readonly first?: Partial<AlertObservation>;
}

const CONFIG_CHANGE = { count: 1, reason: /"CloudWatch Alarm Configuration Change" event/ };

const ALERTMANAGER: Record<string, Expected> = {
  'am0.25-captured-firing-group2.json': { format: 'alertmanager-v4', statuses: ['firing', 'firing'] },
  'am0.25-captured-firing-truncated.json': { format: 'alertmanager-v4', statuses: ['firing', 'firing'], truncatedAlerts: 1 },
  'am0.25-captured-mixed-firing-resolved.json': {
    format: 'alertmanager-v4',
    statuses: ['firing', 'resolved'],
    first: { identity: 'f3f97f5b8432b955', startsAt: '2026-11-21T23:21:35.000Z', summary: 'PII detector flagged model output' },
  },
  'am0.25-captured-resolved-truncated.json': {
    format: 'alertmanager-v4',
    statuses: ['resolved', 'resolved'],
    truncatedAlerts: 1,
  },
};

const CLOUDWATCH: Record<string, Expected> = {
  'aws-lambda-go-cloudwatch-alarm-sns-payload-multiple-metrics.json': { format: 'sns', statuses: ['firing'] },
  'aws-lambda-go-cloudwatch-alarm-sns-payload-single-metric.json': {
    format: 'sns',
    statuses: ['firing'],
    first: { startsAt: '2015-06-03T17:43:27.123Z', observedValue: 1234, identity: 'arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE' },
  },
  'eventbridge-state-change-for-a-composite-alarm-with-a-suppressor-alarm.json': { format: 'eventbridge', statuses: ['firing'] },
  'eventbridge-state-change-for-a-metric-math-alarm.json': {
    format: 'eventbridge',
    statuses: ['firing'],
    first: { startsAt: '2019-10-02T17:20:48.554Z', observedValue: 45628 },
  },
  'eventbridge-state-change-for-a-single-metric-alarm.json': { format: 'eventbridge', statuses: ['firing'] },
  'eventbridge-state-change-for-an-anomaly-detection-alarm.json': { format: 'eventbridge', statuses: ['firing'] },
  // Configuration changes (create/update/delete): answered 2xx, nothing to act on.
  'eventbridge-creation-of-a-composite-alarm.json': { statuses: [], ignored: CONFIG_CHANGE },
  'eventbridge-creation-of-a-composite-alarm-with-a-suppressor-alarm.json': { statuses: [], ignored: CONFIG_CHANGE },
  'eventbridge-update-of-a-metric-alarm.json': { statuses: [], ignored: CONFIG_CHANGE },
  'eventbridge-update-of-a-composite-alarm-with-a-suppressor-alarm.json': { statuses: [], ignored: CONFIG_CHANGE },
  'eventbridge-deletion-of-a-metric-math-alarm.json': { statuses: [], ignored: CONFIG_CHANGE },
  'eventbridge-deletion-of-a-composite-alarm-with-a-suppressor-alarm.json': { statuses: [], ignored: CONFIG_CHANGE },
  // A collection of three decoded SNS alarm messages (see deliveriesOf).
  'localstack-recorded-sns-alarm-messages.json': {
    format: 'sns',
    statuses: ['firing', 'firing', 'firing'],
    first: { startsAt: '2026-02-26T00:00:00.000Z' }, // StateChangeTime is "date": the SNS Timestamp stands in
  },
  'powertools-python-lambda-alarm-action-cloudWatchAlarmEventSingleMetric.json': {
    format: 'lambda-alarm-action',
    statuses: ['firing'],
  },
  'powertools-python-lambda-alarm-action-cloudWatchAlarmEventCompositeMetric.json': {
    format: 'lambda-alarm-action',
    statuses: ['firing'],
  },
};

/** SNS publish time given to the re-wrapped LocalStack messages (their StateChangeTime is the placeholder "date"). */
const LOCALSTACK_SNS_TIMESTAMP = '2026-02-26T00:00:00.000Z';

/**
 * The deliveries one reference file stands for:
 * - `{method, url, headers, body}` (captured HTTP request): its body;
 * - `{_note, messages: {test id: alarm}}` (LocalStack snapshot): each message is
 *   the decoded `Message` of an SNS notification, so it is re-wrapped into the
 *   notification it arrived in;
 * - anything else: the file is the body.
 */
function deliveriesOf(json: unknown): unknown[] {
  if (isRecord(json) && 'body' in json && 'method' in json) return [json['body']];
  if (isRecord(json) && isRecord(json['messages']) && '_note' in json) {
    return Object.values(json['messages']).map((message) => ({
      Type: 'Notification',
      Message: JSON.stringify(message),
      Timestamp: LOCALSTACK_SNS_TIMESTAMP,
    }));
  }
  return [json];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function conformance(
  source: string,
  dir: string,
  parse: (body: unknown) => ParsedDelivery,
  expectations: Record<string, Expected>,
): void {
  // Only JSON files are payloads (alertmanager/ also holds the capture's config, a .yml).
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];

  if (files.length === 0) {
    it('reference fixtures are absent: conformance did not run', () => {
      process.stderr.write(
        `\n[conformance] No ${source} reference fixtures in ${dir}: the ${source} parser was NOT checked ` +
          'against real vendor payloads. Set FIREBREAK_SHARED_FIXTURES to the shared fixtures directory to run it.\n',
      );
      expect(files).toEqual([]);
    });
    return;
  }

  it('knows the expected outcome of every reference fixture', () => {
    expect(files.filter((file) => expectations[file] === undefined)).toEqual([]);
  });

  it.each(files)('parses %s into the expected observations', (file) => {
    const json: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    const deliveries = deliveriesOf(json).map(parse);
    const observations = deliveries.flatMap((d) => d.observations);
    const ignored = deliveries.flatMap((d) => d.ignored);
    const expected = expectations[file];

    for (const observation of observations) {
      expect(AlertObservationSchema.safeParse(observation).error).toBeUndefined();
    }
    expect(observations.map((o) => o.status)).toEqual(expected?.statuses);
    expect(ignored).toHaveLength(expected?.ignored?.count ?? 0);
    for (const entry of ignored) expect(entry.reason).toMatch(expected?.ignored?.reason ?? /^$/);
    expect(deliveries.reduce((sum, d) => sum + d.truncatedAlerts, 0)).toBe(expected?.truncatedAlerts ?? 0);
    expect([...new Set(observations.map((o) => o.format))]).toEqual(expected?.format ? [expected.format] : []);
    expect(observations[0] ?? {}).toMatchObject(expected?.first ?? {});
  });
}

describe('Alertmanager reference fixtures', () => {
  conformance('Alertmanager', path.join(ROOT, 'alertmanager'), parseAlertmanagerWebhook, ALERTMANAGER);
});

describe('CloudWatch reference fixtures', () => {
  conformance('CloudWatch', path.join(ROOT, 'cloudwatch'), parseCloudWatchAlarm, CLOUDWATCH);
});
