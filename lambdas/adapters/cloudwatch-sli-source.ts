import { z } from 'zod';
import type { Slo } from '../core/policy/schema';
import { systemClock, type Clock } from '../core/ports';
import { assertWindow, sliReading, SliSourceError, type SliKey, type SliReading, type SliSource } from '../core/sli/port';

/**
 * SLI source over CloudWatch `GetMetricData`.
 *
 * The client is injected through {@link CloudWatchMetricsClient}, a minimal
 * interface typed here (this project does not depend on
 * `@aws-sdk/client-cloudwatch` yet). The SDK's aggregated client satisfies it
 * as it is: `new CloudWatchSliSource({ client: new CloudWatch({}) })`; with
 * the bare client, wrap it:
 * `{ getMetricData: (input) => client.send(new GetMetricDataCommand(input)) }`.
 *
 * ## Query convention
 *
 * The metric-data queries of an SLO come from, in this order:
 *
 * 1. `queries[slo.id]` in the options (keeps PromQL in `runbooks/slos.yaml`
 *    and maps the SLO to CloudWatch in the deployment);
 * 2. the SLO's `sli.query` when it is a JSON array of `MetricDataQuery`
 *    (a PromQL query never starts with `[`), e.g.
 *    ```json
 *    [{"Id":"refused","ReturnData":false,"MetricStat":{"Metric":{"Namespace":"Firebreak/Models","MetricName":"AdversarialRefusals","Dimensions":[{"Name":"Service","Value":"$service"}]},"Stat":"Sum"}},
 *     {"Id":"total","ReturnData":false,"MetricStat":{"Metric":{"Namespace":"Firebreak/Models","MetricName":"AdversarialRequests","Dimensions":[{"Name":"Service","Value":"$service"}]},"Stat":"Sum"}},
 *     {"Id":"sli","Expression":"refused / total"}]
 *    ```
 * 3. `sli.metric` with the `namespace` option: one `MetricStat` with the
 *    dimensions of `dimensions(key)` (default `Service` and `Model`) and the
 *    statistic by kind: `Sum` for count, `pNN` (p95, p99.9) for latency
 *    quantile, `Average` for ratio and gauge.
 *
 * Exactly one query returns data (`ReturnData` omitted or true); the others
 * set `ReturnData: false`. Its value must be the SLI in the SLO's unit.
 * `$service`, `$model` (or `${…}`) in any string are replaced by the key.
 * `Period` (of a `MetricStat` or an expression) left out or written
 * `"$window"` is set to the window, rounded up to a whole minute (to one of
 * 1, 5, 10, 30 s or whole minutes with `highResolution`), so that CloudWatch
 * aggregates the whole window into one datapoint; a number is kept as
 * written.
 *
 * The request ends at the current minute (second with `highResolution`)
 * and starts one period earlier; the newest datapoint of the returning
 * query is the reading. No datapoint = no data.
 *
 * Errors: throttling, 5xx, timeouts, network failures and a result with
 * `StatusCode: InternalError` are retryable; invalid parameters, access
 * denied and `Forbidden` are not.
 */

/** A CloudWatch dimension. */
export interface CloudWatchDimension {
  readonly Name: string;
  readonly Value: string;
}

/** CloudWatch's standard units (the SDK's `StandardUnit`). */
export const CLOUDWATCH_UNITS = [
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits',
  'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second',
  'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
] as const;
/** One of {@link CLOUDWATCH_UNITS}. */
export type CloudWatchUnit = (typeof CLOUDWATCH_UNITS)[number];

/** `MetricDataQuery` as GetMetricData takes it (the fields this adapter uses; assignable to the SDK's type). */
export interface MetricDataQuery {
  Id: string;
  MetricStat?: {
    Metric: { Namespace?: string; MetricName?: string; Dimensions?: CloudWatchDimension[] };
    Period: number;
    Stat: string;
    Unit?: CloudWatchUnit;
  };
  Expression?: string;
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
  AccountId?: string;
}

/** GetMetricData input (the fields this adapter sends). */
export interface GetMetricDataInput {
  MetricDataQueries: MetricDataQuery[];
  StartTime: Date;
  EndTime: Date;
  ScanBy?: 'TimestampAscending' | 'TimestampDescending';
  MaxDatapoints?: number;
  NextToken?: string;
}

/** GetMetricData output (the fields this adapter reads). */
export interface GetMetricDataOutput {
  MetricDataResults?: {
    Id?: string;
    Label?: string;
    Timestamps?: Date[];
    Values?: number[];
    /** `Complete`, `PartialData`, `InternalError`, `Forbidden`. */
    StatusCode?: string;
    Messages?: { Code?: string; Value?: string }[];
  }[];
  NextToken?: string;
  Messages?: { Code?: string; Value?: string }[];
}

/**
 * The one CloudWatch call this adapter makes. `CloudWatch` (the aggregated
 * client of `@aws-sdk/client-cloudwatch`) implements it.
 *
 * @example
 * const client: CloudWatchMetricsClient = { getMetricData: async (input) => ({ MetricDataResults: [{ Id: 'sli', Values: [0.999], Timestamps: [input.EndTime] }] }) };
 */
export interface CloudWatchMetricsClient {
  getMetricData(input: GetMetricDataInput): Promise<GetMetricDataOutput>;
}

/** A query as written in the policy or the options: `Period` may be left out or be `"$window"`. */
const DimensionSchema = z.strictObject({ Name: z.string().min(1), Value: z.string() });
const PeriodSchema = z.union([z.number().int().positive(), z.literal('$window'), z.literal('${window}')]).optional();
const QueryTemplateSchema = z
  .strictObject({
    Id: z.string().regex(/^[a-z][a-zA-Z0-9_]*$/, 'expected an id that starts with a lowercase letter (letters, digits, _)'),
    MetricStat: z
      .strictObject({
        Metric: z.strictObject({ Namespace: z.string().min(1), MetricName: z.string().min(1), Dimensions: z.array(DimensionSchema).optional() }),
        Period: PeriodSchema,
        Stat: z.string().min(1),
        Unit: z.enum(CLOUDWATCH_UNITS).optional(),
      })
      .optional(),
    Expression: z.string().min(1).optional(),
    Label: z.string().optional(),
    ReturnData: z.boolean().optional(),
    Period: PeriodSchema,
    AccountId: z.string().optional(),
  })
  .refine((q) => (q.MetricStat === undefined) !== (q.Expression === undefined), { message: 'expected exactly one of MetricStat and Expression' });
const QueryTemplatesSchema = z
  .array(QueryTemplateSchema)
  .min(1, 'expected at least one MetricDataQuery')
  .refine((qs) => qs.filter((q) => q.ReturnData !== false).length === 1, { message: 'expected exactly one query that returns data (set ReturnData: false on the others)' })
  .refine((qs) => new Set(qs.map((q) => q.Id)).size === qs.length, { message: 'expected unique Ids' });

/** A metric-data query template (see the file comment). */
export type MetricDataQueryTemplate = z.input<typeof QueryTemplateSchema>;

/** Options of {@link CloudWatchSliSource}. */
export interface CloudWatchSliSourceOptions {
  readonly client: CloudWatchMetricsClient;
  /** Queries by SLO id; win over `sli.query`. */
  readonly queries?: Readonly<Record<string, readonly MetricDataQueryTemplate[]>>;
  /** Namespace for SLOs that give only `sli.metric`. */
  readonly namespace?: string;
  /** Dimensions for SLOs that give only `sli.metric`. @default Service = key.service, Model = key.model */
  readonly dimensions?: (key: SliKey) => CloudWatchDimension[];
  /** Metrics published at high resolution: periods of 1, 5, 10, 30 s are allowed. @default false */
  readonly highResolution?: boolean;
  /** @default the system clock */
  readonly clock?: Clock;
}

/**
 * The period that covers a window: rounded up to a whole minute (to 1, 5,
 * 10 or 30 s, or a whole minute, for high-resolution metrics).
 *
 * @example
 * cloudWatchPeriod(300)      // => 300
 * cloudWatchPeriod(2.5)      // => 60
 * cloudWatchPeriod(2.5, true) // => 5
 */
export function cloudWatchPeriod(windowSeconds: number, highResolution = false): number {
  if (highResolution) {
    const small = [1, 5, 10, 30].find((p) => p >= windowSeconds);
    if (small !== undefined) return small;
  }
  return Math.max(60, Math.ceil(windowSeconds / 60) * 60);
}

/** The statistic for an SLO that names only a metric. */
function statFor(slo: Pick<Slo, 'sli'>): string {
  switch (slo.sli.kind) {
    case 'count':
      return 'Sum';
    case 'latency_quantile':
      return `p${Number(((slo.sli.quantile ?? 0.95) * 100).toPrecision(10))}`;
    case 'ratio':
    case 'gauge':
      return 'Average';
  }
}

function substitute<T>(value: T, key: SliKey): T {
  if (typeof value === 'string') {
    return value.replace(/\$\{service\}|\$service\b/g, () => key.service).replace(/\$\{model\}|\$model\b/g, () => key.model) as T;
  }
  if (Array.isArray(value)) return value.map((v: unknown) => substitute(v, key)) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, key)])) as T;
  return value;
}

const RETRYABLE_NAMES = /throttl|toomanyrequests|limitexceeded|internal|serviceunavailable|unavailable|timeout|timedout|econnreset|econnrefused|enotfound|epipe|socket|networking/i;

function classify(error: unknown): SliSourceError {
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const name = e?.name ?? 'Error';
  const status = e?.$metadata?.httpStatusCode;
  const retryable = e?.$retryable !== undefined || (status !== undefined && (status >= 500 || status === 429)) || RETRYABLE_NAMES.test(`${name} ${e?.code ?? ''}`);
  const code = /throttl|toomanyrequests|limitexceeded/i.test(name) ? 'rate-limited' : retryable ? 'unavailable' : /invalidparameter|missingparameter|validation/i.test(name) ? 'bad-query' : 'rejected';
  return new SliSourceError('cloudwatch', `GetMetricData failed (${name}: ${e?.message ?? String(error)})`, { retryable, code, cause: error });
}

/**
 * Reads SLIs from CloudWatch.
 *
 * @example
 * const source = new CloudWatchSliSource({ client: new CloudWatch({}), namespace: 'Firebreak/Models' });
 * const reading = await source.read(slo, { service: 'support-bot', model: 'support-llm' }, 300);
 */
export class CloudWatchSliSource implements SliSource {
  private readonly clock: Clock;

  constructor(private readonly options: CloudWatchSliSourceOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /**
   * The GetMetricData input for an SLO, key and window, and the id of the
   * query that returns the SLI.
   *
   * @example
   * source.requestFor(slo, key, 300).input.MetricDataQueries[0].MetricStat?.Period // => 300
   */
  requestFor(slo: Pick<Slo, 'id' | 'sli'>, key: SliKey, windowSeconds: number): { input: GetMetricDataInput; returnId: string } {
    assertWindow(windowSeconds);
    const highRes = this.options.highResolution === true;
    const period = cloudWatchPeriod(windowSeconds, highRes);
    const templates = substitute(this.templatesFor(slo, key), key);
    const periodOf = (p: number | string | undefined): number => (typeof p === 'number' ? p : period);
    const queries: MetricDataQuery[] = templates.map((t) => {
      const q: MetricDataQuery = { Id: t.Id };
      if (t.MetricStat !== undefined) {
        const { Metric, Stat, Unit } = t.MetricStat;
        q.MetricStat = { Metric: { ...Metric, ...(Metric.Dimensions === undefined ? {} : { Dimensions: Metric.Dimensions.map((d) => ({ ...d })) }) }, Period: periodOf(t.MetricStat.Period), Stat, ...(Unit === undefined ? {} : { Unit }) };
      } else {
        q.Expression = t.Expression;
        q.Period = periodOf(t.Period);
      }
      if (t.Label !== undefined) q.Label = t.Label;
      if (t.AccountId !== undefined) q.AccountId = t.AccountId;
      if (t.ReturnData !== undefined) q.ReturnData = t.ReturnData;
      return q;
    });
    const returnId = (templates.find((t) => t.ReturnData !== false) as { Id: string }).Id;
    const step = highRes ? 1_000 : 60_000;
    const end = Math.floor(this.clock.now().getTime() / step) * step;
    return { input: { MetricDataQueries: queries, StartTime: new Date(end - period * 1000), EndTime: new Date(end), ScanBy: 'TimestampDescending' }, returnId };
  }

  async read(slo: Slo, key: SliKey, windowSeconds: number): Promise<SliReading> {
    const { input, returnId } = this.requestFor(slo, key, windowSeconds);
    let output: GetMetricDataOutput;
    try {
      output = await this.options.client.getMetricData(input);
    } catch (error) {
      throw classify(error);
    }
    const result = output.MetricDataResults?.find((r) => r.Id === returnId);
    const extras = { query: input.MetricDataQueries.map((q) => (q.Expression === undefined ? `${q.Id}=${q.MetricStat?.Metric.MetricName}:${q.MetricStat?.Stat}` : `${q.Id}=${q.Expression}`)).join('; '), coveredSeconds: cloudWatchPeriod(windowSeconds, this.options.highResolution === true) };
    const messages = [...(result?.Messages ?? []), ...(output.Messages ?? [])].map((m) => `${m.Code ?? ''}: ${m.Value ?? ''}`).join('; ');
    if (result?.StatusCode === 'InternalError') throw new SliSourceError('cloudwatch', `GetMetricData returned InternalError for ${returnId}${messages ? ` (${messages})` : ''}`, { retryable: true, code: 'unavailable' });
    if (result?.StatusCode === 'Forbidden') throw new SliSourceError('cloudwatch', `GetMetricData returned Forbidden for ${returnId}${messages ? ` (${messages})` : ''}`, { retryable: false, code: 'rejected' });
    const values = result?.Values ?? [];
    const timestamps = result?.Timestamps ?? [];
    if (values.length === 0) return sliReading(slo, null, input.EndTime, extras);
    // Newest first (ScanBy TimestampDescending), but do not rely on it.
    let newest = 0;
    timestamps.forEach((t, i) => {
      if (i < values.length && new Date(t).getTime() > new Date(timestamps[newest] ?? 0).getTime()) newest = i;
    });
    const at = timestamps[newest] === undefined ? input.EndTime : new Date(timestamps[newest] as Date);
    return sliReading(slo, values[newest] as number, at, extras);
  }

  private templatesFor(slo: Pick<Slo, 'id' | 'sli'>, key: SliKey): z.output<typeof QueryTemplatesSchema> {
    const configured = this.options.queries?.[slo.id];
    if (configured !== undefined) return this.parse(slo, configured, `queries["${slo.id}"]`);
    const text = slo.sli.query?.trim();
    if (text !== undefined && text.startsWith('[')) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new SliSourceError('cloudwatch', `sli.query of SLO ${slo.id} starts with "[" but is not JSON: ${(error as Error).message}`, { retryable: false, code: 'bad-query', cause: error });
      }
      return this.parse(slo, json, 'sli.query');
    }
    if (slo.sli.metric !== undefined && this.options.namespace !== undefined) {
      const dimensions = this.options.dimensions?.(key) ?? [
        { Name: 'Service', Value: key.service },
        { Name: 'Model', Value: key.model },
      ];
      return [{ Id: 'sli', MetricStat: { Metric: { Namespace: this.options.namespace, MetricName: slo.sli.metric, Dimensions: dimensions }, Stat: statFor(slo) } }];
    }
    throw new SliSourceError(
      'cloudwatch',
      `SLO ${slo.id} has no CloudWatch query: give queries["${slo.id}"], a JSON MetricDataQuery list in sli.query, or sli.metric with the namespace option`,
      { retryable: false, code: 'unmapped-slo' },
    );
  }

  private parse(slo: Pick<Slo, 'id'>, value: unknown, where: string): z.output<typeof QueryTemplatesSchema> {
    const parsed = QueryTemplatesSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new SliSourceError('cloudwatch', `${where} of SLO ${slo.id} is not a valid MetricDataQuery list: ${issues}`, { retryable: false, code: 'bad-query' });
  }
}
