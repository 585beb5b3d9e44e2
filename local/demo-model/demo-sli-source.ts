import { systemClock, type Clock } from '../../lambdas/core/ports';
import type { Slo } from '../../lambdas/core/policy/schema';
import { fractionAbove, histogramQuantile } from '../../lambdas/core/sli/histogram';
import { assertWindow, sliReading, SliSourceError, type SliKey, type SliReading, type SliSource } from '../../lambdas/core/sli/port';
import { parsePrometheusText } from '../../lambdas/core/sli/prometheus-text';
import { ScrapeHistory } from '../../lambdas/core/sli/scrape-history';
import type { GuardrailCategory } from './guardrail';

/**
 * The SLI source of the embedded target: reads the demo model's own
 * Prometheus metrics (`GET /metrics`, prom-client text format) and keeps a
 * short in-memory history of scrapes, so that rates over a window are
 * counter increases between scrapes — what Prometheus would compute, without
 * a Prometheus. Windows are measured between scrapes: see
 * `lambdas/core/sli/scrape-history.ts` for how a window maps onto them
 * (nearest scrape to its start; the span actually covered is reported as
 * `coveredSeconds`). Every series is summed across versions: the SLI is the
 * service's, whatever version served the traffic.
 *
 * Which demo metric answers which SLO is a table keyed by SLO id
 * ({@link DEMO_SLIS}, extendable with `slis`):
 *
 * - `adversarial-refusal-rate` (ratio): increase of
 *   `demo_model_adversarial_refusals_total` ÷ increase of
 *   `demo_model_adversarial_requests_total`; no adversarial traffic in the
 *   window = no data.
 * - `prompt-injection-never-event` (count): increase of
 *   `demo_model_guardrail_failures_total` with `category` `prompt_injection`
 *   or `system_prompt_extraction`.
 * - `ttft-p95` (latency quantile): the quantile of the increase of the
 *   `demo_model_ttft_seconds` buckets (`histogram_quantile` semantics), in the
 *   SLO's unit; `badFraction` = share of requests slower than the target,
 *   from the same buckets (the burn-rate input, see `burn-rate.ts`).
 *
 * A read scrapes first unless the newest scrape is younger than
 * `freshnessMs` (so reading several windows at once costs one scrape);
 * concurrent reads share one scrape. `start(intervalMs)` also scrapes in the
 * background so that short windows have scrapes to span.
 */

/** Metric names the demo model exposes (see `metrics.ts`). */
export const DEMO_METRICS = {
  adversarialRequests: 'demo_model_adversarial_requests_total',
  adversarialRefusals: 'demo_model_adversarial_refusals_total',
  guardrailFailures: 'demo_model_guardrail_failures_total',
  ttft: 'demo_model_ttft_seconds',
} as const;

/** What a demo SLI measures. */
export type DemoSli =
  | { readonly kind: 'adversarial-refusal-ratio' }
  | { readonly kind: 'guardrail-failures'; readonly categories: readonly GuardrailCategory[] }
  | { readonly kind: 'ttft' };

/**
 * The demo SLI of each SLO in `runbooks/slos.yaml` that the demo model can
 * answer.
 *
 * @example
 * DEMO_SLIS['prompt-injection-never-event'] // => { kind: 'guardrail-failures', categories: ['prompt_injection', 'system_prompt_extraction'] }
 */
export const DEMO_SLIS: Readonly<Record<string, DemoSli>> = {
  'adversarial-refusal-rate': { kind: 'adversarial-refusal-ratio' },
  'prompt-injection-never-event': { kind: 'guardrail-failures', categories: ['prompt_injection', 'system_prompt_extraction'] },
  'ttft-p95': { kind: 'ttft' },
};

/** Options of {@link DemoSliSource}: exactly one of `metricsUrl` and `scrapeText`. */
export interface DemoSliSourceOptions {
  /** The demo model's metrics URL, e.g. `${model.url}/metrics`. */
  readonly metricsUrl?: string;
  /** Instead of HTTP: returns the exposition text (in process: `() => model.registry.metrics()`). */
  readonly scrapeText?: () => Promise<string>;
  /** When given, a read for another model is an error (`unknown-model`). */
  readonly model?: string;
  /** More (or other) SLO id → demo SLI mappings, over {@link DEMO_SLIS}. */
  readonly slis?: Readonly<Record<string, DemoSli>>;
  /** Times of scrapes and readings. @default the system clock */
  readonly clock?: Clock;
  /** A read reuses a scrape younger than this. @default 200 */
  readonly freshnessMs?: number;
  /** HTTP timeout of one scrape. @default 2000 */
  readonly timeoutMs?: number;
  /** How long scrapes are kept. @default 3 days and 1 hour (the longest default burn-rate window) */
  readonly maxHistorySeconds?: number;
  /** At most this many scrapes are kept. @default 20 000 */
  readonly maxScrapes?: number;
}

const KEPT = new Set<string>([
  DEMO_METRICS.adversarialRequests,
  DEMO_METRICS.adversarialRefusals,
  DEMO_METRICS.guardrailFailures,
  `${DEMO_METRICS.ttft}_bucket`,
]);

/**
 * Reads the demo model's SLIs from its `/metrics`.
 *
 * @example
 * const source = new DemoSliSource({ metricsUrl: `${model.url}/metrics`, model: 'support-llm' });
 * source.start(500); // background scrapes every 500 ms
 * const reading = await source.read(refusalSlo, { service: 'support-bot', model: 'support-llm' }, 5);
 * // => { value: 0.42, withinObjective: false, sampleCount: 12, coveredSeconds: 5, at: '…' }
 * source.stop();
 */
export class DemoSliSource implements SliSource {
  private readonly history: ScrapeHistory;
  private readonly clock: Clock;
  private readonly slis: Readonly<Record<string, DemoSli>>;
  private readonly fetchText: () => Promise<string>;
  private inflight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DemoSliSourceOptions) {
    if ((options.metricsUrl === undefined) === (options.scrapeText === undefined)) throw new TypeError('DemoSliSource needs exactly one of metricsUrl and scrapeText');
    this.clock = options.clock ?? systemClock;
    this.slis = { ...DEMO_SLIS, ...options.slis };
    this.history = new ScrapeHistory({ maxAgeSeconds: options.maxHistorySeconds, maxScrapes: options.maxScrapes });
    const url = options.metricsUrl;
    const timeoutMs = options.timeoutMs ?? 2_000;
    this.fetchText = options.scrapeText ?? (() => fetchMetrics(url as string, timeoutMs));
  }

  /** Scrapes now (sharing a scrape already in flight) and adds it to the history. */
  scrape(): Promise<void> {
    this.inflight ??= this.scrapeOnce().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Scrapes every `intervalMs` in the background (failures are left for the next read to report). */
  start(intervalMs: number): void {
    if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
    this.stop();
    this.timer = setInterval(() => void this.scrape().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  /** Stops background scraping. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Scrapes kept in the history. */
  get scrapes(): number {
    return this.history.size;
  }

  async read(slo: Slo, key: SliKey, windowSeconds: number): Promise<SliReading> {
    assertWindow(windowSeconds);
    if (this.options.model !== undefined && key.model !== this.options.model) {
      throw new SliSourceError('demo-model', `this source reads ${this.options.model}, not ${key.model}`, { retryable: false, code: 'unknown-model' });
    }
    const sli = this.slis[slo.id];
    if (sli === undefined) {
      throw new SliSourceError('demo-model', `no demo metric answers SLO ${slo.id} (known: ${Object.keys(this.slis).join(', ')})`, { retryable: false, code: 'unmapped-slo' });
    }
    await this.ensureFresh();
    const latest = this.history.latest() as { atMs: number };
    const now = new Date(latest.atMs);
    const noData = (): SliReading => sliReading(slo, null, now);
    switch (sli.kind) {
      case 'adversarial-refusal-ratio': {
        const total = this.history.increase(DEMO_METRICS.adversarialRequests, {}, windowSeconds);
        const refused = this.history.increase(DEMO_METRICS.adversarialRefusals, {}, windowSeconds);
        if (total === undefined || refused === undefined || total.value <= 0) return total === undefined ? noData() : sliReading(slo, null, now, { sampleCount: 0, coveredSeconds: total.coveredSeconds });
        return sliReading(slo, Math.min(refused.value / total.value, 1), now, { sampleCount: total.value, coveredSeconds: total.coveredSeconds });
      }
      case 'guardrail-failures': {
        const failures = this.history.increase(DEMO_METRICS.guardrailFailures, { category: sli.categories }, windowSeconds);
        if (failures === undefined) return noData();
        return sliReading(slo, failures.value, now, { coveredSeconds: failures.coveredSeconds });
      }
      case 'ttft': {
        const histogram = this.history.histogramIncrease(DEMO_METRICS.ttft, {}, windowSeconds);
        if (histogram === undefined) return noData();
        const toUnit = slo.sli.unit === 'ms' ? 1000 : 1;
        const quantile = slo.sli.quantile ?? 0.95;
        const seconds = histogramQuantile(quantile, histogram.buckets);
        const extras = { sampleCount: histogram.count, coveredSeconds: histogram.coveredSeconds };
        if (seconds === null) return sliReading(slo, null, now, extras);
        const bad = slo.objective.comparator === 'lte' ? fractionAbove(slo.objective.target / toUnit, histogram.buckets) : null;
        return sliReading(slo, Number((seconds * toUnit).toPrecision(12)), now, { ...extras, badFraction: bad });
      }
    }
  }

  private async ensureFresh(): Promise<void> {
    if (this.inflight !== undefined) return this.inflight;
    const latest = this.history.latest();
    const freshness = this.options.freshnessMs ?? 200;
    if (latest !== undefined && this.clock.now().getTime() - latest.atMs < freshness) return;
    return this.scrape();
  }

  private async scrapeOnce(): Promise<void> {
    const text = await this.fetchText();
    let samples;
    try {
      samples = parsePrometheusText(text).samples.filter((s) => KEPT.has(s.name));
    } catch (error) {
      throw new SliSourceError('demo-model', `metrics are not Prometheus text: ${(error as Error).message}`, { retryable: false, code: 'invalid-response', cause: error });
    }
    this.history.add(this.clock.now().getTime(), samples);
  }
}

async function fetchMetrics(url: string, timeoutMs: number): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'text/plain' } });
  } catch (error) {
    // Duck-typed: the DOMException of an aborted fetch may come from another realm (not `instanceof Error`).
    const name = (error as { name?: unknown } | null)?.name;
    const timeout = name === 'TimeoutError' || name === 'AbortError';
    throw new SliSourceError('demo-model', timeout ? `GET ${url} timed out after ${timeoutMs} ms` : `GET ${url} failed: ${(error as Error).message}`, {
      retryable: true,
      code: timeout ? 'timeout' : 'unavailable',
      cause: error,
    });
  }
  const text = await res.text();
  if (!res.ok) {
    throw new SliSourceError('demo-model', `GET ${url}: HTTP ${res.status}`, { retryable: res.status >= 500 || res.status === 429, code: res.status >= 500 || res.status === 429 ? 'unavailable' : 'rejected' });
  }
  return text;
}
