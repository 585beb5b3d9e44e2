import {
  CloudWatchSliSource,
  cloudWatchPeriod,
  type CloudWatchMetricsClient,
  type GetMetricDataInput,
  type GetMetricDataOutput,
} from '../../lambdas/adapters/cloudwatch-sli-source';
import { SloSchema, type Slo } from '../../lambdas/core/policy/schema';
import { SliSourceError } from '../../lambdas/core/sli/port';

/*
 * The CloudWatch adapter against a fake client that records each
 * GetMetricData input (the real request shape: MetricDataQueries, StartTime,
 * EndTime, ScanBy) and answers with MetricDataResults as CloudWatch does.
 */

const KEY = { service: 'support-bot', model: 'support-llm' };
const NOW = new Date('2026-11-20T10:07:42.500Z');
const clock = { now: () => NOW };

function slo(fields: { id?: string; sli: Record<string, unknown>; objective?: Record<string, unknown>; window?: string }): Slo {
  return SloSchema.parse({
    id: fields.id ?? 'adversarial-refusal-rate',
    description: 'test',
    sli: fields.sli,
    objective: fields.objective ?? { comparator: 'gte', target: 0.999 },
    window: fields.window ?? '1h',
    severity: 'sev1',
    alerts: [{ source: 'alertmanager', match: { alertname: 'X' } }],
    flap_hold: '0s',
    action_on_breach: ['kill_switch'],
  });
}

class FakeCloudWatch implements CloudWatchMetricsClient {
  readonly inputs: GetMetricDataInput[] = [];
  constructor(private readonly answer: GetMetricDataOutput | Error | ((input: GetMetricDataInput) => GetMetricDataOutput)) {}
  async getMetricData(input: GetMetricDataInput): Promise<GetMetricDataOutput> {
    this.inputs.push(structuredClone(input));
    if (this.answer instanceof Error) throw this.answer;
    return typeof this.answer === 'function' ? this.answer(input) : this.answer;
  }
}

const RATIO_QUERIES = [
  {
    Id: 'refused',
    ReturnData: false,
    MetricStat: { Metric: { Namespace: 'Firebreak/Models', MetricName: 'AdversarialRefusals', Dimensions: [{ Name: 'Service', Value: '$service' }] }, Stat: 'Sum' },
  },
  {
    Id: 'total',
    ReturnData: false,
    MetricStat: { Metric: { Namespace: 'Firebreak/Models', MetricName: 'AdversarialRequests', Dimensions: [{ Name: 'Service', Value: '${service}' }] }, Stat: 'Sum' },
  },
  { Id: 'sli', Expression: 'refused / total', Label: 'refusal ratio' },
];
const ratioSlo = slo({ sli: { name: 'refusal rate', kind: 'ratio', unit: 'ratio', query: JSON.stringify(RATIO_QUERIES) } });

describe('cloudWatchPeriod', () => {
  it('rounds a window up to whole minutes, or to a high-resolution period', () => {
    expect([cloudWatchPeriod(300), cloudWatchPeriod(2.5), cloudWatchPeriod(3_601)]).toEqual([300, 60, 3_660]);
    expect([cloudWatchPeriod(2.5, true), cloudWatchPeriod(30, true), cloudWatchPeriod(45, true)]).toEqual([5, 30, 60]);
  });
});

describe('CloudWatchSliSource', () => {
  it('sends the JSON queries of sli.query with the key substituted and the window as the period', async () => {
    const client = new FakeCloudWatch({ MetricDataResults: [{ Id: 'sli', Label: 'refusal ratio', Timestamps: [new Date('2026-11-20T10:02:00Z')], Values: [0.9995], StatusCode: 'Complete' }] });
    const source = new CloudWatchSliSource({ client, clock });
    const reading = await source.read(ratioSlo, KEY, 300);
    expect(client.inputs).toEqual([
      {
        MetricDataQueries: [
          {
            Id: 'refused',
            ReturnData: false,
            MetricStat: { Metric: { Namespace: 'Firebreak/Models', MetricName: 'AdversarialRefusals', Dimensions: [{ Name: 'Service', Value: 'support-bot' }] }, Period: 300, Stat: 'Sum' },
          },
          {
            Id: 'total',
            ReturnData: false,
            MetricStat: { Metric: { Namespace: 'Firebreak/Models', MetricName: 'AdversarialRequests', Dimensions: [{ Name: 'Service', Value: 'support-bot' }] }, Period: 300, Stat: 'Sum' },
          },
          { Id: 'sli', Expression: 'refused / total', Label: 'refusal ratio', Period: 300 },
        ],
        // Ends at the current minute, starts one period earlier.
        StartTime: new Date('2026-11-20T10:02:00Z'),
        EndTime: new Date('2026-11-20T10:07:00Z'),
        ScanBy: 'TimestampDescending',
      },
    ]);
    expect(reading).toEqual({
      value: 0.9995,
      at: '2026-11-20T10:02:00.000Z',
      withinObjective: true,
      coveredSeconds: 300,
      query: 'refused=AdversarialRefusals:Sum; total=AdversarialRequests:Sum; sli=refused / total',
    });
  });

  it('prefers queries from the options and keeps a period written as a number', async () => {
    const client = new FakeCloudWatch({ MetricDataResults: [{ Id: 'p', Timestamps: [NOW], Values: [1] }] });
    const source = new CloudWatchSliSource({
      client,
      clock,
      queries: { 'adversarial-refusal-rate': [{ Id: 'p', Period: 60, Expression: 'SELECT AVG(Refusal) FROM "Firebreak/Models"' }] },
    });
    await source.read(ratioSlo, KEY, 3_600);
    expect(client.inputs[0]?.MetricDataQueries).toEqual([{ Id: 'p', Period: 60, Expression: 'SELECT AVG(Refusal) FROM "Firebreak/Models"' }]);
    expect(client.inputs[0]?.StartTime).toEqual(new Date('2026-11-20T09:07:00Z'));
  });

  it('reads a metric-only SLO from the namespace with Service and Model dimensions and the quantile statistic', async () => {
    const ttft = slo({ id: 'ttft-p95', sli: { name: 'ttft', kind: 'latency_quantile', quantile: 0.95, metric: 'TimeToFirstToken', unit: 'ms' }, objective: { comparator: 'lte', target: 500 } });
    const client = new FakeCloudWatch({ MetricDataResults: [{ Id: 'sli', Timestamps: [new Date('2026-11-20T10:06:00Z')], Values: [812], StatusCode: 'Complete' }] });
    const reading = await new CloudWatchSliSource({ client, clock, namespace: 'SupportBot', highResolution: true }).read(ttft, KEY, 30);
    expect(client.inputs[0]).toEqual({
      MetricDataQueries: [
        {
          Id: 'sli',
          MetricStat: {
            Metric: { Namespace: 'SupportBot', MetricName: 'TimeToFirstToken', Dimensions: [{ Name: 'Service', Value: 'support-bot' }, { Name: 'Model', Value: 'support-llm' }] },
            Period: 30,
            Stat: 'p95',
          },
        },
      ],
      StartTime: new Date('2026-11-20T10:07:12Z'),
      EndTime: new Date('2026-11-20T10:07:42Z'),
      ScanBy: 'TimestampDescending',
    });
    expect(reading).toMatchObject({ value: 812, withinObjective: false });
  });

  it('takes the newest datapoint whatever the order of the answer', async () => {
    const client = new FakeCloudWatch({
      MetricDataResults: [{ Id: 'sli', Timestamps: [new Date('2026-11-20T10:01:00Z'), new Date('2026-11-20T10:06:00Z')], Values: [0.5, 1] }],
    });
    expect(await new CloudWatchSliSource({ client, clock }).read(ratioSlo, KEY, 60)).toMatchObject({ value: 1, at: '2026-11-20T10:06:00.000Z' });
  });

  it('reads no datapoint as no data', async () => {
    const client = new FakeCloudWatch({ MetricDataResults: [{ Id: 'sli', Timestamps: [], Values: [], StatusCode: 'Complete' }] });
    expect(await new CloudWatchSliSource({ client, clock }).read(ratioSlo, KEY, 300)).toMatchObject({ value: null, withinObjective: null, at: '2026-11-20T10:07:00.000Z' });
  });

  it('makes throttling, 5xx and InternalError retryable', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    await expect(new CloudWatchSliSource({ client: new FakeCloudWatch(throttled), clock }).read(ratioSlo, KEY, 300)).rejects.toMatchObject({ name: 'SliSourceError', retryable: true, code: 'rate-limited' });
    const unavailable = Object.assign(new Error('unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    await expect(new CloudWatchSliSource({ client: new FakeCloudWatch(unavailable), clock }).read(ratioSlo, KEY, 300)).rejects.toMatchObject({ retryable: true, code: 'unavailable' });
    const internal = new FakeCloudWatch({ MetricDataResults: [{ Id: 'sli', StatusCode: 'InternalError', Messages: [{ Code: 'InternalError', Value: 'try again' }] }] });
    await expect(new CloudWatchSliSource({ client: internal, clock }).read(ratioSlo, KEY, 300)).rejects.toMatchObject({ retryable: true, message: 'cloudwatch: GetMetricData returned InternalError for sli (InternalError: try again)' });
  });

  it('makes invalid parameters, access denied and Forbidden final', async () => {
    const invalid = Object.assign(new Error('bad expression'), { name: 'InvalidParameterValueException', $metadata: { httpStatusCode: 400 } });
    await expect(new CloudWatchSliSource({ client: new FakeCloudWatch(invalid), clock }).read(ratioSlo, KEY, 300)).rejects.toMatchObject({ retryable: false, code: 'bad-query' });
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    await expect(new CloudWatchSliSource({ client: new FakeCloudWatch(denied), clock }).read(ratioSlo, KEY, 300)).rejects.toMatchObject({ retryable: false, code: 'rejected' });
    const forbidden = new FakeCloudWatch({ MetricDataResults: [{ Id: 'sli', StatusCode: 'Forbidden' }] });
    await expect(new CloudWatchSliSource({ client: forbidden, clock }).read(ratioSlo, KEY, 300)).rejects.toMatchObject({ retryable: false });
  });

  it('rejects an SLO it cannot map, and a query list that does not follow the convention', async () => {
    const client = new FakeCloudWatch({});
    const promql = slo({ sli: { name: 'refusal rate', kind: 'ratio', unit: 'ratio', query: 'sum(rate(x[1h]))' } });
    await expect(new CloudWatchSliSource({ client, clock }).read(promql, KEY, 300)).rejects.toMatchObject({ code: 'unmapped-slo', retryable: false });
    const twoReturning = slo({ sli: { name: 'r', kind: 'ratio', unit: 'ratio', query: JSON.stringify([{ Id: 'a', Expression: '1' }, { Id: 'b', Expression: '2' }]) } });
    await expect(new CloudWatchSliSource({ client, clock }).read(twoReturning, KEY, 300)).rejects.toThrow(/exactly one query that returns data/);
    const notJson = slo({ sli: { name: 'r', kind: 'ratio', unit: 'ratio', query: '[{Id: a}]' } });
    await expect(new CloudWatchSliSource({ client, clock }).read(notJson, KEY, 300)).rejects.toBeInstanceOf(SliSourceError);
    expect(client.inputs).toHaveLength(0);
  });
});
