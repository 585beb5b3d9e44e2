import { z } from 'zod';
import { InvalidInputError, type InputIssue } from '../errors';
import type { AlertFormat, AlertObservation, ParsedDelivery } from './observation';
import { collectParse, formatIssuePath, normaliseTimestamp, VendorTimestampSchema } from './zod-issues';

/*
 * CloudWatch alarm events reach Firebreak in three wire forms:
 *   - EventBridge (`detail-type`, camelCase `detail`),
 *   - SNS (PascalCase alarm JSON as a string in `Message`; as the SNS
 *     notification itself, inside a Lambda SNS event `Records[].Sns`, or as
 *     the bare message with SNS raw message delivery),
 *   - Lambda alarm action (top-level `alarmData`, same shape as `detail`).
 * Each form is read into an `AlarmChange`, and every `AlarmChange` is turned
 * into an observation the same way. All objects are loose: keys AWS adds
 * later are tolerated and ignored.
 */

const SUBJECT = 'CloudWatch alarm event';
const STATE_CHANGE = 'CloudWatch Alarm State Change';
const ACCEPTED_FORMS =
  'an EventBridge event (detail-type "CloudWatch Alarm State Change"), an SNS notification ' +
  '(Type "Notification" with the alarm JSON in Message), a Lambda SNS event (Records[].Sns.Message) ' +
  'or a Lambda alarm-action event (alarmData)';

const AlarmStateValueSchema = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA'], {
  error: 'expected "OK", "ALARM" or "INSUFFICIENT_DATA"',
});
type AlarmStateValue = z.infer<typeof AlarmStateValueSchema>;

// ---- EventBridge `detail` and alarm-action `alarmData` (camelCase) ----

const MetricSchema = z.looseObject({
  id: z.string().optional(),
  expression: z.string().optional(),
  metricStat: z
    .looseObject({
      metric: z.looseObject({
        namespace: z.string().optional(),
        name: z.string().optional(),
        dimensions: z.record(z.string(), z.string()).optional(),
      }),
    })
    .optional(),
});

/** `detail` of a "CloudWatch Alarm State Change" event; also `alarmData` of an alarm action. */
export const AlarmStateChangeDetailSchema = z.looseObject({
  alarmName: z.string().min(1, 'expected a non-empty alarm name'),
  state: z.looseObject({
    value: AlarmStateValueSchema,
    reason: z.string().optional(),
    reasonData: z.string().optional(),
    timestamp: VendorTimestampSchema,
    actionsSuppressedBy: z.string().optional(),
  }),
  previousState: z.looseObject({ value: z.string().optional(), timestamp: VendorTimestampSchema.optional() }).optional(),
  /** Metric and metric-math alarms have `metrics`; composite alarms have `alarmRule`. */
  configuration: z
    .looseObject({
      description: z.string().nullish(),
      alarmRule: z.string().optional(),
      metrics: z.array(MetricSchema).optional(),
    })
    .optional(),
});
type AlarmStateChangeDetail = z.infer<typeof AlarmStateChangeDetailSchema>;

/** Any EventBridge event; `detail` is read by `detail-type`. */
export const CloudWatchEventBridgeEventSchema = z.looseObject({
  'detail-type': z.string(),
  account: z.string().optional(),
  region: z.string().optional(),
  time: VendorTimestampSchema.optional(),
  resources: z.array(z.string()).optional(),
  detail: z.record(z.string(), z.unknown()),
});

/** The event CloudWatch sends when an alarm invokes a Lambda function directly. */
export const CloudWatchAlarmActionEventSchema = z.looseObject({
  alarmArn: z.string().optional(),
  accountId: z.string().optional(),
  region: z.string().optional(),
  time: VendorTimestampSchema.optional(),
  alarmData: AlarmStateChangeDetailSchema,
});

// ---- SNS (PascalCase) ----

/** SNS alarm messages send dimensions as `[{name, value}]`; some producers send a map. */
const SnsDimensionsSchema = z.union(
  [z.array(z.looseObject({ name: z.string(), value: z.string() })), z.record(z.string(), z.string())],
  { error: 'expected Dimensions as [{name, value}] or as a map of name to value' },
);
type SnsDimensions = z.infer<typeof SnsDimensionsSchema>;

const SnsMetricSchema = z.looseObject({
  MetricName: z.string().nullish(),
  Namespace: z.string().nullish(),
  Dimensions: SnsDimensionsSchema.nullish(),
});

/** The alarm JSON inside an SNS `Message`. AWS sends `null` for unset fields (e.g. `AlarmDescription`). */
export const CloudWatchSnsAlarmMessageSchema = z.looseObject({
  AlarmName: z.string().min(1, 'expected a non-empty alarm name'),
  AlarmArn: z.string().nullish(),
  AlarmDescription: z.string().nullish(),
  AWSAccountId: z.string().nullish(),
  Region: z.string().nullish(),
  NewStateValue: AlarmStateValueSchema,
  NewStateReason: z.string().nullish(),
  /** Normalised by the reader, which falls back to the SNS `Timestamp` when it is unusable. */
  StateChangeTime: z.string(),
  OldStateValue: z.string().nullish(),
  AlarmRule: z.string().nullish(),
  Trigger: SnsMetricSchema.extend({
    Metrics: z
      .array(z.looseObject({ MetricStat: z.looseObject({ Metric: SnsMetricSchema }).nullish() }))
      .nullish(),
  }).nullish(),
});

/** An SNS message as SNS delivers it (HTTP subscription body, or `Records[].Sns` of a Lambda event). */
export const SnsNotificationSchema = z.looseObject({
  Type: z.string().optional(),
  Message: z.string({ error: 'expected the alarm JSON as a string' }),
  Timestamp: VendorTimestampSchema.optional(),
});

/** The event Lambda receives from an SNS subscription. */
export const LambdaSnsEventSchema = z.looseObject({
  Records: z
    .array(z.looseObject({ Sns: SnsNotificationSchema }), { error: 'expected an array of SNS records' })
    .min(1, 'expected at least one SNS record'),
});

// ---- reading ----

interface MetricRef {
  readonly namespace?: string | null | undefined;
  readonly metricName?: string | null | undefined;
  readonly dimensions: Record<string, string>;
}

/** One alarm state change, whatever form it came in. Timestamps are ISO UTC. */
interface AlarmChange {
  readonly name: string;
  readonly arn?: string | null | undefined;
  readonly account?: string | null | undefined;
  readonly region?: string | undefined;
  readonly state: AlarmStateValue;
  readonly changedAt: string;
  readonly previousChangedAt?: string | undefined;
  readonly reason?: string | null | undefined;
  readonly reasonData?: string | undefined;
  readonly description?: string | null | undefined;
  readonly metrics: readonly MetricRef[];
  readonly alarmRule?: string | null | undefined;
  readonly actionsSuppressedBy?: string | undefined;
  /** When the envelope says the event was emitted. */
  readonly emittedAt?: string | undefined;
}

interface Collected {
  readonly observations: AlertObservation[];
  readonly ignored: { reason: string }[];
  readonly issues: InputIssue[];
}

/**
 * Parses one CloudWatch alarm delivery, detecting its form: EventBridge
 * (`eventbridge`), SNS notification, Lambda SNS event or raw SNS message
 * (`sns`), or Lambda alarm action (`lambda-alarm-action`). A JSON string body
 * (SNS posts `text/plain`) is decoded first.
 *
 * ALARM is `firing`, OK is `resolved`; INSUFFICIENT_DATA and EventBridge
 * events other than "CloudWatch Alarm State Change" (e.g. configuration
 * changes) are returned in `ignored` with the reason, not as errors.
 *
 * @throws InvalidInputError (`subject` "CloudWatch alarm event") when the body
 *   is none of the accepted forms or a field is missing or mistyped; paths
 *   like `Records[0].Sns.Message.NewStateValue` or `detail.state.timestamp`.
 * @example
 * const delivery = parseCloudWatchAlarm(eventBridgeEvent);
 * // => { observations: [{ source: 'cloudwatch', format: 'eventbridge', status: 'firing', ... }], ignored: [], truncatedAlerts: 0 }
 */
export function parseCloudWatchAlarm(body: unknown): ParsedDelivery {
  const out: Collected = { observations: [], ignored: [], issues: [] };
  const decoded = typeof body === 'string' ? decodeJson(body) : { value: body };
  if (decoded) readDelivery(decoded.value, out);
  else out.issues.push({ path: '', message: `expected JSON: ${ACCEPTED_FORMS}` });
  if (out.issues.length > 0) throw new InvalidInputError(SUBJECT, out.issues);
  return { observations: out.observations, ignored: out.ignored, truncatedAlerts: 0 };
}

function readDelivery(value: unknown, out: Collected): void {
  if (!isRecord(value)) {
    out.issues.push({ path: '', message: `expected a JSON object: ${ACCEPTED_FORMS}` });
  } else if ('detail-type' in value) {
    readEventBridge(value, '', 'eventbridge', out);
  } else if ('alarmData' in value) {
    readAlarmAction(value, out);
  } else if ('Records' in value) {
    const event = collectParse(LambdaSnsEventSchema, value, '', out.issues);
    event?.Records.forEach((record, i) => readSnsNotification(record.Sns, `Records[${i}].Sns`, out));
  } else if ('Message' in value && 'Type' in value) {
    const notification = collectParse(SnsNotificationSchema, value, '', out.issues);
    if (notification) readSnsNotification(notification, '', out);
  } else if ('AlarmName' in value && 'NewStateValue' in value) {
    readSnsAlarmMessage(value, '', undefined, out); // SNS raw message delivery
  } else {
    out.issues.push({ path: '', message: `not a CloudWatch alarm event: expected ${ACCEPTED_FORMS}` });
  }
}

function readEventBridge(value: unknown, prefix: string, format: AlertFormat, out: Collected): void {
  const event = collectParse(CloudWatchEventBridgeEventSchema, value, prefix, out.issues);
  if (!event) return;
  const detailType = event['detail-type'];
  if (detailType !== STATE_CHANGE) {
    const { alarmName, operation } = event.detail;
    const what = typeof operation === 'string' ? ` (operation "${operation}")` : '';
    const alarm = typeof alarmName === 'string' ? ` for alarm "${alarmName}"` : '';
    out.ignored.push({ reason: `EventBridge "${detailType}" event${what}${alarm} is not an alarm state change` });
    return;
  }
  const detail = collectParse(AlarmStateChangeDetailSchema, event.detail, formatIssuePath(['detail'], prefix), out.issues);
  if (!detail) return;
  const arn = event.resources?.find((resource) => resource.includes(':alarm:'));
  add(fromDetail(detail, { arn, account: event.account, region: event.region, time: event.time }), format, out);
}

function readAlarmAction(value: unknown, out: Collected): void {
  const event = collectParse(CloudWatchAlarmActionEventSchema, value, '', out.issues);
  if (!event) return;
  const envelope = { arn: event.alarmArn, account: event.accountId, region: event.region, time: event.time };
  add(fromDetail(event.alarmData, envelope), 'lambda-alarm-action', out);
}

function readSnsNotification(notification: z.infer<typeof SnsNotificationSchema>, prefix: string, out: Collected): void {
  if (notification.Type !== undefined && notification.Type !== 'Notification') {
    out.ignored.push({ reason: `SNS "${notification.Type}" message is not an alarm notification` });
    return;
  }
  const path = formatIssuePath(['Message'], prefix);
  const decoded = decodeJson(notification.Message);
  if (!decoded) {
    out.issues.push({ path, message: 'expected the alarm as a JSON string, got text that is not JSON' });
    return;
  }
  const message = decoded.value;
  // An EventBridge rule can target the SNS topic: then Message is the EventBridge event.
  if (isRecord(message) && 'detail-type' in message) readEventBridge(message, path, 'sns', out);
  else readSnsAlarmMessage(message, path, notification.Timestamp, out);
}

function readSnsAlarmMessage(value: unknown, prefix: string, sentAt: string | undefined, out: Collected): void {
  const alarm = collectParse(CloudWatchSnsAlarmMessageSchema, value, prefix, out.issues);
  if (!alarm) return;
  // SNS's own Timestamp is when the notification was published, moments after
  // the change: the honest stand-in when StateChangeTime is not a timestamp.
  const changedAt = normaliseTimestamp(alarm.StateChangeTime) ?? sentAt;
  if (changedAt === undefined) {
    out.issues.push({
      path: formatIssuePath(['StateChangeTime'], prefix),
      message: `expected a timestamp like 2020-07-21T01:05:31.551+0000, got ${JSON.stringify(alarm.StateChangeTime)}`,
    });
    return;
  }
  const trigger = alarm.Trigger;
  const metrics: MetricRef[] = [];
  if (trigger && (trigger.MetricName || trigger.Namespace || trigger.Dimensions)) metrics.push(snsMetric(trigger));
  for (const metric of trigger?.Metrics ?? []) if (metric.MetricStat) metrics.push(snsMetric(metric.MetricStat.Metric));
  add(
    {
      name: alarm.AlarmName,
      arn: alarm.AlarmArn,
      account: alarm.AWSAccountId,
      region: regionCode(alarm.Region), // usually a long name ("US East (N. Virginia)"); the ARN has the code
      state: alarm.NewStateValue,
      changedAt,
      reason: alarm.NewStateReason,
      description: alarm.AlarmDescription,
      metrics,
      alarmRule: alarm.AlarmRule,
      emittedAt: sentAt,
    },
    'sns',
    out,
  );
}

function snsMetric(metric: z.infer<typeof SnsMetricSchema>): MetricRef {
  return { namespace: metric.Namespace, metricName: metric.MetricName, dimensions: dimensionMap(metric.Dimensions) };
}

function dimensionMap(dimensions: SnsDimensions | null | undefined): Record<string, string> {
  if (!dimensions) return {};
  if (Array.isArray(dimensions)) return Object.fromEntries(dimensions.map((d) => [d.name, d.value]));
  return { ...dimensions };
}

interface Envelope {
  readonly arn?: string | undefined;
  readonly account?: string | undefined;
  readonly region?: string | undefined;
  readonly time?: string | undefined;
}

function fromDetail(detail: AlarmStateChangeDetail, envelope: Envelope): AlarmChange {
  const { state, previousState, configuration } = detail;
  return {
    name: detail.alarmName,
    arn: envelope.arn,
    account: envelope.account,
    region: regionCode(envelope.region),
    state: state.value,
    changedAt: state.timestamp,
    previousChangedAt: previousState?.timestamp,
    reason: state.reason,
    reasonData: state.reasonData,
    description: configuration?.description,
    metrics: (configuration?.metrics ?? []).flatMap(({ metricStat }) =>
      metricStat
        ? [{ namespace: metricStat.metric.namespace, metricName: metricStat.metric.name, dimensions: metricStat.metric.dimensions ?? {} }]
        : [],
    ),
    alarmRule: configuration?.alarmRule,
    actionsSuppressedBy: state.actionsSuppressedBy,
    emittedAt: envelope.time,
  };
}

// ---- mapping to observations ----

function add(change: AlarmChange, format: AlertFormat, out: Collected): void {
  if (change.state === 'INSUFFICIENT_DATA') {
    out.ignored.push({ reason: `alarm "${change.name}" is INSUFFICIENT_DATA: neither a breach nor a recovery` });
  } else {
    out.observations.push(toObservation(change, format));
  }
}

function toObservation(change: AlarmChange, format: AlertFormat): AlertObservation {
  const firing = change.state === 'ALARM';
  const arn = parseAlarmArn(change.arn);
  const region = change.region ?? regionCode(arn?.region);
  const observedValue = valueFromReasonData(change.reasonData) ?? valueFromReason(change.reason);
  const summary = change.description || change.reason || change.name;
  const sourceUrl = consoleUrl(region, change.name);
  return {
    source: 'cloudwatch',
    format,
    status: firing ? 'firing' : 'resolved',
    identity: change.arn || (region ? `alarm:${region}:${change.name}` : change.name),
    name: change.name,
    labels: labelsOf(change, region, change.account || arn?.account),
    annotations: defined({
      description: change.description,
      reason: change.reason,
      alarmRule: change.alarmRule,
      actionsSuppressedBy: change.actionsSuppressedBy,
    }),
    startsAt: firing ? change.changedAt : (change.previousChangedAt ?? change.changedAt),
    ...(firing ? {} : { endsAt: change.changedAt }),
    // EventBridge `time` has whole seconds and can precede the state timestamp.
    observedAt: change.emittedAt && change.emittedAt > change.changedAt ? change.emittedAt : change.changedAt,
    ...(observedValue !== undefined ? { observedValue } : {}),
    summary,
    ...(sourceUrl ? { sourceUrl } : {}),
  };
}

/** Dimensions of the first metric that has any, then what identifies the alarm. */
function labelsOf(change: AlarmChange, region: string | undefined, account: string | null | undefined): Record<string, string> {
  const metric =
    change.metrics.find((m) => Object.keys(m.dimensions).length > 0) ??
    change.metrics.find((m) => m.namespace || m.metricName);
  return {
    ...metric?.dimensions,
    ...defined({
      alarmName: change.name,
      namespace: metric?.namespace,
      metricName: metric?.metricName,
      awsAccountId: account,
      awsRegion: region,
    }),
  };
}

/** Last of `recentDatapoints` in the state reason data (metric alarms only). */
function valueFromReasonData(reasonData: string | undefined): number | undefined {
  if (!reasonData) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(reasonData);
  } catch {
    return undefined; // reasonData only enriches the observation; the reason text is the fallback
  }
  const points = isRecord(data) ? data['recentDatapoints'] : undefined;
  const last: unknown = Array.isArray(points) ? points[points.length - 1] : undefined;
  return typeof last === 'number' && Number.isFinite(last) ? last : undefined;
}

/**
 * Newest datapoint of the "[2.84 (14/03/26 09:25:00), 2.31 (14/03/26 09:24:00)]"
 * list in a state reason. AWS lists the newest first (the opposite of
 * `recentDatapoints`); the dates are not read, their day/month order varies.
 */
function valueFromReason(reason: string | null | undefined): number | undefined {
  const list = reason ? /\[([^\]]*\([^\]]*)\]/.exec(reason)?.[1] : undefined;
  const newest = list ? /^\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*\(/.exec(list)?.[1] : undefined;
  const value = newest === undefined ? undefined : Number(newest);
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

function parseAlarmArn(arn: string | null | undefined): { region: string; account: string } | undefined {
  const match = arn ? /^arn:[^:]+:cloudwatch:([^:]*):([^:]*):alarm:.+$/.exec(arn) : null;
  return match ? { region: match[1] ?? '', account: match[2] ?? '' } : undefined;
}

/** The value when it is an AWS region code (`eu-west-1`), else `undefined`. */
function regionCode(value: string | null | undefined): string | undefined {
  return value && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(value) ? value : undefined;
}

function consoleUrl(region: string | undefined, alarmName: string): string | undefined {
  // China and GovCloud consoles live on other domains; no link rather than a wrong one.
  if (!region || /^(cn|us-gov)-/.test(region)) return undefined;
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`;
}

/** The decoded value, or `undefined` when `text` is not JSON (the caller reports it). */
function decodeJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

function defined(entries: Record<string, string | null | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entries)) if (value) out[key] = value;
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
