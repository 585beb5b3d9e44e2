import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../../lambdas/core/errors';
import { AlertObservationSchema, parseCloudWatchAlarm } from '../../lambdas/core/alerts';

const FIXTURES = path.resolve(__dirname, '../fixtures/cloudwatch');
const ARN_PREFIX = 'arn:aws:cloudwatch:eu-west-1:210987654321:alarm:';

// Loose JSON access for tests that edit fixtures; the parser under test is what checks shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are arbitrary JSON edited in place
type Json = any;

/** A fresh copy of one of our CloudWatch fixtures (a delivery body). */
function fixture(name: string): Json {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Json;
}

/** The alarm JSON of our SNS notification fixture, decoded. */
function snsAlarmMessage(): Json {
  return JSON.parse(fixture('sns-notification.json').Message as string) as Json;
}

function invalidInput(body: unknown): InvalidInputError {
  try {
    parseCloudWatchAlarm(body);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError, but the body parsed');
}

describe('parseCloudWatchAlarm', () => {
  it.each(readdirSync(FIXTURES).filter((f) => f.endsWith('.json')))(
    'produces observations that satisfy the observation schema from %s',
    (name) => {
      for (const observation of parseCloudWatchAlarm(fixture(name)).observations) {
        expect(AlertObservationSchema.safeParse(observation).error).toBeUndefined();
      }
    },
  );

  describe('EventBridge form', () => {
    it('maps a single-metric ALARM to a firing observation', () => {
      const delivery = parseCloudWatchAlarm(fixture('eventbridge-single-metric-alarm.json'));

      expect(delivery).toEqual({ observations: [expect.any(Object)], ignored: [], truncatedAlerts: 0 });
      expect(delivery.observations[0]).toEqual({
        source: 'cloudwatch',
        format: 'eventbridge',
        status: 'firing',
        identity: `${ARN_PREFIX}support-bot-ttft-p95-high`,
        name: 'support-bot-ttft-p95-high',
        labels: {
          service: 'support-bot',
          model: 'support-llm',
          alarmName: 'support-bot-ttft-p95-high',
          namespace: 'Firebreak/ModelServing',
          metricName: 'TimeToFirstToken',
          awsAccountId: '210987654321',
          awsRegion: 'eu-west-1',
        },
        annotations: {
          description: 'support-llm p95 time to first token above 2s',
          reason: expect.stringMatching(/^Threshold Crossed: 2 out of the last 2 datapoints/),
        },
        startsAt: '2026-03-14T09:26:31.415Z',
        observedAt: '2026-03-14T09:26:31.415Z',
        observedValue: 2.84,
        summary: 'support-llm p95 time to first token above 2s',
        sourceUrl:
          'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/support-bot-ttft-p95-high',
      });
    });

    it('labels a metric-math alarm with the dimensions of the first metric that has them', () => {
      const [alarm] = parseCloudWatchAlarm(fixture('eventbridge-metric-math-alarm.json')).observations;

      expect(alarm?.labels).toEqual(
        expect.objectContaining({ suite: 'adversarial', metricName: 'RefusedAdversarialPrompts', service: 'support-bot' }),
      );
      expect(alarm?.observedValue).toBe(96.4);
      expect(alarm?.status).toBe('firing');
    });

    it('parses a composite alarm, which has an alarm rule and no metrics', () => {
      const [alarm] = parseCloudWatchAlarm(fixture('eventbridge-composite-alarm.json')).observations;

      expect(alarm).toMatchObject({
        status: 'firing',
        identity: `${ARN_PREFIX}support-bot-safety`,
        labels: { alarmName: 'support-bot-safety', awsAccountId: '210987654321', awsRegion: 'eu-west-1' },
        annotations: { alarmRule: expect.stringContaining('ALARM("support-bot-canary-leak")') },
        summary: 'Any safety SLO of support-bot breached',
      });
      expect(alarm).not.toHaveProperty('observedValue');
    });

    it('ignores a configuration change with the reason instead of failing', () => {
      const delivery = parseCloudWatchAlarm(fixture('eventbridge-config-change.json'));

      expect(delivery.observations).toEqual([]);
      expect(delivery.ignored).toEqual([
        {
          reason:
            'EventBridge "CloudWatch Alarm Configuration Change" event (operation "update") for alarm ' +
            '"support-bot-ttft-p95-high" is not an alarm state change',
        },
      ]);
    });

    it('maps OK to resolved, starting at the previous state and ending at the change', () => {
      const [alarm] = parseCloudWatchAlarm(fixture('eventbridge-ok-state.json')).observations;

      expect(alarm).toMatchObject({
        status: 'resolved',
        startsAt: '2026-03-14T09:26:31.415Z',
        endsAt: '2026-03-14T09:58:02.001Z',
        observedAt: '2026-03-14T09:58:02.001Z',
        observedValue: 1.21,
      });
    });

    it('ignores INSUFFICIENT_DATA with the reason', () => {
      const body = fixture('eventbridge-single-metric-alarm.json');
      body.detail.state.value = 'INSUFFICIENT_DATA';

      expect(parseCloudWatchAlarm(body)).toEqual({
        observations: [],
        ignored: [{ reason: expect.stringContaining('"support-bot-ttft-p95-high" is INSUFFICIENT_DATA') }],
        truncatedAlerts: 0,
      });
    });

    it('reads the value from the newest datapoint of the state reason when reason data is absent', () => {
      const body = fixture('eventbridge-single-metric-alarm.json');
      delete body.detail.state.reasonData;

      expect(parseCloudWatchAlarm(body).observations[0]?.observedValue).toBe(2.84);
    });

    it('identifies an alarm without ARN as alarm:<region>:<name>', () => {
      const body = fixture('eventbridge-single-metric-alarm.json');
      body.resources = [];

      expect(parseCloudWatchAlarm(body).observations[0]?.identity).toBe('alarm:eu-west-1:support-bot-ttft-p95-high');
    });
  });

  describe('SNS form', () => {
    it('decodes the double-encoded alarm of an SNS notification', () => {
      const [alarm] = parseCloudWatchAlarm(fixture('sns-notification.json')).observations;

      expect(alarm).toEqual({
        source: 'cloudwatch',
        format: 'sns',
        status: 'firing',
        identity: `${ARN_PREFIX}support-bot-prompt-injection-never-event`,
        name: 'support-bot-prompt-injection-never-event',
        labels: {
          service: 'support-bot',
          model: 'support-llm',
          alarmName: 'support-bot-prompt-injection-never-event',
          namespace: 'Firebreak/ModelServing',
          metricName: 'CanaryLeaks',
          awsAccountId: '210987654321',
          awsRegion: 'eu-west-1',
        },
        annotations: {
          description: 'Prompt injection never-event: canary token seen in support-llm output',
          reason: expect.stringContaining('[3.0 (14/03/26 11:00:00)]'),
        },
        startsAt: '2026-03-14T11:01:04.093Z',
        observedAt: '2026-03-14T11:01:04.152Z',
        observedValue: 3,
        summary: 'Prompt injection never-event: canary token seen in support-llm output',
        sourceUrl: expect.stringContaining('#alarmsV2:alarm/support-bot-prompt-injection-never-event'),
      });
    });

    it('reads every record of a Lambda SNS event, with map-form dimensions and +0000 timestamps', () => {
      const delivery = parseCloudWatchAlarm(fixture('lambda-sns-event-map-dimensions.json'));

      expect(delivery.observations.map((o) => [o.format, o.status, o.startsAt, o.endsAt])).toEqual([
        ['sns', 'firing', '2026-03-14T09:26:31.415Z', undefined],
        ['sns', 'resolved', '2026-03-14T09:58:02.001Z', '2026-03-14T09:58:02.001Z'],
      ]);
      expect(delivery.observations[0]?.labels).toEqual(
        expect.objectContaining({ service: 'support-bot', model: 'support-llm', region: 'eu-west-1', awsRegion: 'eu-west-1' }),
      );
      expect(delivery.observations[0]?.summary).toMatch(/^Threshold Crossed/); // AlarmDescription is null
    });

    it('accepts the bare alarm message of SNS raw message delivery', () => {
      const [alarm] = parseCloudWatchAlarm(snsAlarmMessage()).observations;

      expect(alarm).toMatchObject({ format: 'sns', status: 'firing', observedAt: '2026-03-14T11:01:04.093Z' });
    });

    it('decodes a body that arrives as a JSON string (SNS posts text/plain)', () => {
      const text = readFileSync(path.join(FIXTURES, 'sns-notification.json'), 'utf8');

      expect(parseCloudWatchAlarm(text)).toEqual(parseCloudWatchAlarm(fixture('sns-notification.json')));
    });

    it('reads an EventBridge event delivered through an SNS topic', () => {
      const event = fixture('eventbridge-single-metric-alarm.json');
      const body = { ...fixture('sns-notification.json'), Message: JSON.stringify(event) };

      expect(parseCloudWatchAlarm(body).observations[0]).toMatchObject({ format: 'sns', name: 'support-bot-ttft-p95-high' });
    });

    it('falls back to the SNS Timestamp when StateChangeTime is not a timestamp', () => {
      const message = { ...snsAlarmMessage(), StateChangeTime: 'date' };
      const body = { ...fixture('sns-notification.json'), Message: JSON.stringify(message) };

      expect(parseCloudWatchAlarm(body).observations[0]?.startsAt).toBe('2026-03-14T11:01:04.152Z');
    });

    it('identifies an alarm without ARN by its name when no region code is known', () => {
      const message = { ...snsAlarmMessage(), AlarmArn: null };

      expect(parseCloudWatchAlarm(message).observations[0]?.identity).toBe('support-bot-prompt-injection-never-event');
    });

    it('ignores a subscription confirmation with the reason', () => {
      const body = { ...fixture('sns-notification.json'), Type: 'SubscriptionConfirmation' };

      expect(parseCloudWatchAlarm(body).ignored).toEqual([
        { reason: 'SNS "SubscriptionConfirmation" message is not an alarm notification' },
      ]);
    });
  });

  describe('Lambda alarm-action form', () => {
    it('maps a single-metric alarm action', () => {
      const [alarm] = parseCloudWatchAlarm(fixture('alarm-action-single-metric.json')).observations;

      expect(alarm).toMatchObject({
        format: 'lambda-alarm-action',
        status: 'firing',
        identity: `${ARN_PREFIX}support-bot-ttft-p95-high`,
        labels: { service: 'support-bot', model: 'support-llm', metricName: 'TimeToFirstToken' },
        observedValue: 2.84,
      });
    });

    it('maps a composite alarm action', () => {
      const [alarm] = parseCloudWatchAlarm(fixture('alarm-action-composite.json')).observations;

      expect(alarm).toMatchObject({
        format: 'lambda-alarm-action',
        status: 'firing',
        name: 'support-bot-safety',
        annotations: { alarmRule: expect.stringContaining('OR') },
      });
    });
  });

  describe('rejects', () => {
    it('a body of none of the forms, naming the accepted ones', () => {
      const error = invalidInput({ hello: 'world' });

      expect(error.name).toBe('InvalidInputError');
      expect(error.subject).toBe('CloudWatch alarm event');
      expect(error.issues).toEqual([{ path: '', message: expect.stringContaining('EventBridge event') }]);
      expect(error.issues[0]?.message).toMatch(/SNS notification.*Lambda SNS event.*alarm-action event/);
      expect(invalidInput(42).issues[0]?.message).toContain('expected a JSON object');
      expect(invalidInput('not json').issues[0]?.message).toContain('expected JSON');
    });

    it('a record whose alarm has no NewStateValue, naming the record', () => {
      const body = fixture('lambda-sns-event-map-dimensions.json');
      const message = JSON.parse(body.Records[1].Sns.Message as string) as Json;
      delete message.NewStateValue;
      body.Records[1].Sns.Message = JSON.stringify(message);

      expect(invalidInput(body).issues).toEqual([
        { path: 'Records[1].Sns.Message.NewStateValue', message: 'expected "OK", "ALARM" or "INSUFFICIENT_DATA"' },
      ]);
    });

    it('an SNS Message that is not JSON', () => {
      const body = { ...fixture('sns-notification.json'), Message: 'ALARM: support-bot' };

      expect(invalidInput(body).issues).toEqual([{ path: 'Message', message: expect.stringContaining('JSON') }]);
    });

    it('wrongly typed Dimensions', () => {
      const message = { ...snsAlarmMessage() };
      message.Trigger = { ...message.Trigger, Dimensions: 'service=support-bot' };
      const body = { ...fixture('sns-notification.json'), Message: JSON.stringify(message) };

      expect(invalidInput(body).issues).toEqual([
        { path: 'Message.Trigger.Dimensions', message: 'expected Dimensions as [{name, value}] or as a map of name to value' },
      ]);
    });

    it('an EventBridge state change with an unknown state and a bad timestamp', () => {
      const body = fixture('eventbridge-single-metric-alarm.json');
      body.detail.state.value = 'BREACHING';
      body.detail.state.timestamp = '14/03/26 09:26';

      expect(invalidInput(body).issues).toEqual([
        { path: 'detail.state.value', message: 'expected "OK", "ALARM" or "INSUFFICIENT_DATA"' },
        { path: 'detail.state.timestamp', message: expect.stringContaining('expected a timestamp') },
      ]);
    });

    it('an alarm action without alarm name', () => {
      const body = fixture('alarm-action-single-metric.json');
      delete body.alarmData.alarmName;

      expect(invalidInput(body).issues).toEqual([
        { path: 'alarmData.alarmName', message: 'expected string, but it is missing' },
      ]);
    });

    it('a Lambda SNS event without records', () => {
      expect(invalidInput({ Records: [] }).issues).toEqual([{ path: 'Records', message: 'expected at least one SNS record' }]);
    });

    it('a bare alarm message whose StateChangeTime is not a timestamp and has no SNS envelope', () => {
      expect(invalidInput({ ...snsAlarmMessage(), StateChangeTime: 'date' }).issues).toEqual([
        { path: 'StateChangeTime', message: expect.stringContaining('got "date"') },
      ]);
    });
  });
});
