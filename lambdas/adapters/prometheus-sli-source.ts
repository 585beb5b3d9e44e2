import { z } from 'zod';
import type { Slo } from '../core/policy/schema';
import { systemClock, type Clock } from '../core/ports';
import { assertWindow, sliReading, SliSourceError, type SliKey, type SliReading, type SliSource } from '../core/sli/port';

/**
 * SLI source over the Prometheus HTTP API: an instant query,
 * `GET {baseUrl}/api/v1/query?query=…&time=…`, whose answer must be a single
 * number (a one-series vector or a scalar).
 *
 * ## Query convention
 *
 * The PromQL is the SLO's `sli.query`. The window the caller asks for goes
 * into it as follows:
 *
 * 1. **Placeholder.** `$window` or `${window}` is replaced by the window as a
 *    Prometheus duration (`5m`, `1h`, `2500ms`), e.g.
 *    `sum(rate(x{outcome="refused"}[$window])) / sum(rate(x[$window]))`.
 * 2. **No placeholder.** Every range selector whose duration equals the
 *    SLO's own `window` (`[1h]` in an SLO with `window: 1h`, as the queries
 *    in `runbooks/slos.yaml` are written) is rewritten to the window asked
 *    for. Other ranges and subqueries (`[1h:1m]`) are left alone.
 * 3. Otherwise the query cannot honour a window: it is sent as written when
 *    the window asked for is the SLO's window, and refused
 *    (`SliSourceError`, `window-not-templatable`) for any other window.
 *
 * `$service` / `${service}` and `$model` / `${model}` are replaced by the
 * key's values, escaped for a PromQL string (write them inside quotes:
 * `{service="$service"}`).
 *
 * An SLO with only `sli.metric` gets a query by kind: count
 * `sum(increase(m[$window]))`, latency quantile
 * `histogram_quantile(q, sum by (le) (rate(m_bucket[$window])))`, ratio and
 * gauge `avg(avg_over_time(m[$window]))` — over every series of the metric.
 *
 * ## Answers
 *
 * An empty vector or `NaN` (e.g. 0/0 when there was no traffic) is no data.
 * More than one series is an error (`ambiguous-result`): aggregate in the
 * query. HTTP 400/422 (`bad_data`, `execution`) and other 4xx are not
 * retryable; 429, 5xx (503 = Prometheus timed out), a timeout or a network
 * error are.
 */

/** Options of {@link PrometheusSliSource}. */
export interface PrometheusSliSourceOptions {
  /** Prometheus (or a compatible API: Thanos, Mimir, VictoriaMetrics) base URL, with any path prefix: `http://prometheus:9090`. */
  readonly baseUrl: string;
  /** Extra headers (authorisation, `X-Scope-OrgID`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-request timeout; also sent as the query's `timeout`. @default 10 000 */
  readonly timeoutMs?: number;
  /** The evaluation time sent as `time`. @default the system clock */
  readonly clock?: Clock;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

const SampleValueSchema = z.tuple([z.number(), z.string()]);
const QueryResponseSchema = z.discriminatedUnion('status', [
  z.looseObject({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.looseObject({ resultType: z.literal('vector'), result: z.array(z.looseObject({ metric: z.record(z.string(), z.string()), value: SampleValueSchema })) }),
      z.looseObject({ resultType: z.literal('scalar'), result: SampleValueSchema }),
      z.looseObject({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
      z.looseObject({ resultType: z.literal('string'), result: z.unknown() }),
    ]),
    warnings: z.array(z.string()).optional(),
  }),
  z.looseObject({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() }),
]);

const DURATION_UNITS: readonly [string, number][] = [
  ['w', 604_800_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/**
 * A window as a Prometheus duration: the largest unit that divides it
 * (`300` → `5m`), milliseconds when it is not whole seconds.
 *
 * @example
 * promDuration(3600) // => '1h'
 * promDuration(2.5)  // => '2500ms'
 */
export function promDuration(seconds: number): string {
  const ms = Math.max(1, Math.round(seconds * 1000));
  const [unit, size] = DURATION_UNITS.find(([, s]) => ms % s === 0) as [string, number];
  return `${ms / size}${unit}`;
}

/**
 * A Prometheus duration (`5m`, `1h30m`, `250ms`, `1y`) in seconds, or
 * `undefined` when it is not one.
 *
 * @example
 * parsePromDuration('1h30m') // => 5400
 */
export function parsePromDuration(text: string): number | undefined {
  const units: Record<string, number> = { y: 31_536_000, w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1, ms: 0.001 };
  const parts = [...text.matchAll(/(\d+)(ms|[ywdhms])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] as string] as number), 0);
}

/** A label value inside a PromQL double-quoted string. */
function promString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * The PromQL sent for an SLO, key and window (see the file comment).
 *
 * @example
 * prometheusQueryFor(refusalSlo, { service: 'support-bot', model: 'support-llm' }, 300)
 * // `sum(rate(llm_probe_responses_total{…,outcome="refused"}[5m])) / sum(rate(llm_probe_responses_total{…}[5m]))`
 */
export function prometheusQueryFor(slo: Pick<Slo, 'id' | 'sli' | 'window'>, key: SliKey, windowSeconds: number): string {
  const duration = promDuration(windowSeconds);
  let query = slo.sli.query ?? defaultQuery(slo);
  query = query
    .replace(/\$\{service\}|\$service\b/g, () => promString(key.service))
    .replace(/\$\{model\}|\$model\b/g, () => promString(key.model));
  if (/\$\{window\}|\$window\b/.test(query)) return query.replace(/\$\{window\}|\$window\b/g, duration);
  let rewritten = false;
  const result = query.replace(/\[(\s*)([0-9a-z]+)(\s*)\]/g, (whole, before: string, text: string, after: string) => {
    const seconds = parsePromDuration(text);
    if (seconds === undefined || Math.abs(seconds - slo.window) > 1e-9) return whole;
    rewritten = true;
    return `[${before}${duration}${after}]`;
  });
  if (rewritten || Math.abs(windowSeconds - slo.window) <= 1e-9) return result;
  throw new SliSourceError('prometheus', `the query of SLO ${slo.id} has no $window placeholder and no range selector of its ${promDuration(slo.window)} window, so it cannot be read over ${duration}`, {
    retryable: false,
    code: 'window-not-templatable',
  });
}

function defaultQuery(slo: Pick<Slo, 'id' | 'sli'>): string {
  const metric = slo.sli.metric;
  if (metric === undefined) throw new SliSourceError('prometheus', `SLO ${slo.id} has neither sli.query nor sli.metric`, { retryable: false, code: 'bad-query' });
  switch (slo.sli.kind) {
    case 'count':
      return `sum(increase(${metric}[$window]))`;
    case 'latency_quantile':
      return `histogram_quantile(${slo.sli.quantile ?? 0.95}, sum by (le) (rate(${metric.endsWith('_bucket') ? metric : `${metric}_bucket`}[$window])))`;
    case 'ratio':
    case 'gauge':
      return `avg(avg_over_time(${metric}[$window]))`;
  }
}

/** A sample value string: `NaN` → null (no data), `±Inf` → ±Infinity. */
function sampleValue(text: string): number | null {
  if (/^nan$/i.test(text)) return null;
  if (/^\+?inf$/i.test(text)) return Infinity;
  if (/^-inf$/i.test(text)) return -Infinity;
  const n = Number(text);
  if (text.trim() === '' || Number.isNaN(n)) throw new SliSourceError('prometheus', `sample value ${JSON.stringify(text)} is not a number`, { retryable: false, code: 'invalid-response' });
  return n;
}

const RETRYABLE_ERROR_TYPES = new Set(['timeout', 'canceled', 'unavailable', 'internal']);

/**
 * Reads SLIs from Prometheus.
 *
 * @example
 * const source = new PrometheusSliSource({ baseUrl: 'http://prometheus:9090' });
 * const reading = await source.read(slo, { service: 'support-bot', model: 'support-llm' }, 300);
 * reading.query // the PromQL sent, with [5m]
 */
export class PrometheusSliSource implements SliSource {
  private readonly base: string;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: PrometheusSliSourceOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    if (!/^https?:\/\//.test(this.base)) throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchFn = options.fetch ?? globalThis.fetch;
  }

  async read(slo: Slo, key: SliKey, windowSeconds: number): Promise<SliReading> {
    assertWindow(windowSeconds);
    const query = prometheusQueryFor(slo, key, windowSeconds);
    const now = this.clock.now();
    const params = new URLSearchParams({ query, time: (now.getTime() / 1000).toFixed(3), timeout: `${Math.max(1, Math.floor(this.timeoutMs / 1000))}s` });
    const url = `${this.base}/api/v1/query?${params.toString()}`;
    const body = await this.get(url);
    const data = body.data;
    const extras = { query, coveredSeconds: windowSeconds };
    switch (data.resultType) {
      case 'scalar':
        return sliReading(slo, sampleValue(data.result[1]), new Date(data.result[0] * 1000), extras);
      case 'vector': {
        if (data.result.length === 0) return sliReading(slo, null, now, extras);
        if (data.result.length > 1) {
          const shown = data.result.slice(0, 3).map((r) => JSON.stringify(r.metric)).join(', ');
          throw new SliSourceError('prometheus', `query of SLO ${slo.id} returned ${data.result.length} series (${shown}${data.result.length > 3 ? ', …' : ''}); an SLI must be one number: aggregate with sum() or max()`, {
            retryable: false,
            code: 'ambiguous-result',
          });
        }
        const [sample] = data.result as [(typeof data.result)[number]];
        return sliReading(slo, sampleValue(sample.value[1]), new Date(sample.value[0] * 1000), extras);
      }
      default:
        throw new SliSourceError('prometheus', `query of SLO ${slo.id} returned a ${data.resultType}; an instant query for an SLI must return a vector or a scalar`, {
          retryable: false,
          code: 'unsupported-result',
        });
    }
  }

  private async get(url: string): Promise<Extract<z.infer<typeof QueryResponseSchema>, { status: 'success' }>> {
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(url, { headers: { accept: 'application/json', ...this.options.headers }, signal: AbortSignal.timeout(this.timeoutMs) });
      text = await res.text();
    } catch (error) {
      // Duck-typed: the DOMException of an aborted fetch may come from another realm (not `instanceof Error`).
      const name = (error as { name?: unknown } | null)?.name;
      const timeout = name === 'TimeoutError' || name === 'AbortError';
      throw new SliSourceError('prometheus', timeout ? `no answer within ${this.timeoutMs} ms` : `request failed: ${(error as Error).message}`, {
        retryable: true,
        code: timeout ? 'timeout' : 'unavailable',
        cause: error,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = QueryResponseSchema.safeParse(json);
    const retryAfter = retryAfterSeconds(res.headers.get('retry-after'));
    if (parsed.success && parsed.data.status === 'error') {
      const { errorType = 'unknown', error = 'no message' } = parsed.data;
      const retryable = res.status === 429 || res.status >= 500 || (res.ok && RETRYABLE_ERROR_TYPES.has(errorType));
      throw new SliSourceError('prometheus', `HTTP ${res.status} ${errorType}: ${error}`, {
        retryable,
        code: retryable ? (errorType === 'timeout' ? 'timeout' : 'unavailable') : 'bad-query',
        ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
      });
    }
    if (!res.ok) {
      const retryable = res.status === 429 || res.status >= 500;
      throw new SliSourceError('prometheus', `HTTP ${res.status}: ${text.slice(0, 200)}`, {
        retryable,
        code: res.status === 429 ? 'rate-limited' : retryable ? 'unavailable' : res.status === 400 || res.status === 422 ? 'bad-query' : 'rejected',
        ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
      });
    }
    if (!parsed.success || parsed.data.status !== 'success') {
      throw new SliSourceError('prometheus', `HTTP ${res.status} but the body is not a Prometheus query response: ${text.slice(0, 200)}`, { retryable: false, code: 'invalid-response' });
    }
    return parsed.data;
  }
}

function retryAfterSeconds(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (header.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
