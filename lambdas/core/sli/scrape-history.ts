/**
 * A short in-memory history of metric scrapes, and counter increases over a
 * window computed from it (pure): what a Prometheus server would answer to
 * `increase(x[5m])`, for a source that only has the raw `/metrics` of one
 * process.
 *
 * ## Which scrapes a window spans
 *
 * The window ends at the newest scrape. It starts at the scrape nearest to
 * `newest − window` (never the newest itself), so the span covered is the
 * window rounded to the scrape spacing: a window shorter than the spacing
 * covers exactly one interval, and the covered seconds are reported. When
 * the history is shorter than the window, the oldest scrape starts it
 * (partial coverage). One scrape alone spans nothing: no data.
 *
 * ## Counter semantics
 *
 * Increases are summed over consecutive scrapes in the span, series by
 * series, as Prometheus does: a value lower than the one before is a reset
 * (the process restarted) and counts from zero; a series missing from the
 * earlier scrape is new and counts from zero too (prom-client creates a
 * labelled series at its first increment, so this is the exact count, where
 * Prometheus would miss the first increment).
 */
import type { HistogramBucket } from './histogram';
import type { PromSample } from './prometheus-text';

/** One scrape: when, and the samples kept. */
export interface Scrape {
  readonly atMs: number;
  readonly samples: readonly PromSample[];
}

/** Which scrapes a window spans. */
export interface ScrapeSpan {
  readonly scrapes: readonly Scrape[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly coveredSeconds: number;
}

/** Options of {@link ScrapeHistory}. */
export interface ScrapeHistoryOptions {
  /** Scrapes older than this (relative to the newest) are dropped. @default 3 days and 1 hour */
  readonly maxAgeSeconds?: number;
  /** At most this many scrapes are kept (oldest dropped first). @default 20 000 */
  readonly maxScrapes?: number;
}

/** Labels a sample must have (equal values) to count. */
export type LabelMatcher = Readonly<Record<string, string | readonly string[]>>;

function matches(sample: PromSample, name: string, matcher: LabelMatcher): boolean {
  if (sample.name !== name) return false;
  return Object.entries(matcher).every(([label, want]) => {
    const have = sample.labels[label] ?? '';
    return typeof want === 'string' ? have === want : want.includes(have);
  });
}

/** A stable identity of a series: its labels sorted, except those in `without`. */
function seriesKey(sample: PromSample, without: readonly string[] = []): string {
  return JSON.stringify(
    Object.entries(sample.labels)
      .filter(([k]) => !without.includes(k))
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

/**
 * The scrape history of one target.
 *
 * @example
 * const history = new ScrapeHistory();
 * history.add(0, parsePrometheusText(first).samples);
 * history.add(60_000, parsePrometheusText(second).samples);
 * history.increase('demo_model_adversarial_requests_total', {}, 60) // => { value: 12, coveredSeconds: 60, atMs: 60000 }
 */
export class ScrapeHistory {
  private readonly scrapes: Scrape[] = [];
  private readonly maxAgeMs: number;
  private readonly maxScrapes: number;

  constructor(options: ScrapeHistoryOptions = {}) {
    this.maxAgeMs = (options.maxAgeSeconds ?? 3 * 86_400 + 3_600) * 1000;
    this.maxScrapes = options.maxScrapes ?? 20_000;
  }

  /** Adds a scrape (taken at `atMs`); a scrape older than the newest is ignored. */
  add(atMs: number, samples: readonly PromSample[]): void {
    const newest = this.latest();
    if (newest !== undefined && atMs < newest.atMs) return;
    if (newest !== undefined && atMs === newest.atMs) this.scrapes.pop();
    this.scrapes.push({ atMs, samples });
    const cutoff = atMs - this.maxAgeMs;
    while (this.scrapes.length > 1 && ((this.scrapes[0] as Scrape).atMs < cutoff || this.scrapes.length > this.maxScrapes)) this.scrapes.shift();
  }

  /** The newest scrape, if any. */
  latest(): Scrape | undefined {
    return this.scrapes[this.scrapes.length - 1];
  }

  /** How many scrapes are kept. */
  get size(): number {
    return this.scrapes.length;
  }

  /** The scrapes a window ending at the newest scrape spans (see the file comment), or `undefined` with fewer than two scrapes. */
  span(windowSeconds: number): ScrapeSpan | undefined {
    const n = this.scrapes.length;
    if (n < 2) return undefined;
    const to = this.scrapes[n - 1] as Scrape;
    const start = to.atMs - windowSeconds * 1000;
    let from = 0;
    let best = Infinity;
    for (let i = 0; i < n - 1; i += 1) {
      const distance = Math.abs((this.scrapes[i] as Scrape).atMs - start);
      if (distance < best) {
        best = distance;
        from = i;
      }
    }
    const scrapes = this.scrapes.slice(from);
    const fromMs = (scrapes[0] as Scrape).atMs;
    return { scrapes, fromMs, toMs: to.atMs, coveredSeconds: (to.atMs - fromMs) / 1000 };
  }

  /**
   * The increase of the counter samples called `name` with the given labels
   * over the window, summed across the matching series; `undefined` without
   * a span (fewer than two scrapes).
   */
  increase(name: string, matcher: LabelMatcher, windowSeconds: number): { value: number; coveredSeconds: number; atMs: number } | undefined {
    const span = this.span(windowSeconds);
    if (span === undefined) return undefined;
    const perSeries = increases(span.scrapes, (s) => matches(s, name, matcher), (s) => seriesKey(s));
    let value = 0;
    for (const v of perSeries.values()) value += v;
    return { value, coveredSeconds: span.coveredSeconds, atMs: span.toMs };
  }

  /**
   * The increase of every bucket of a histogram (`<name>_bucket`) over the
   * window, summed across the matching series by `le`: the buckets of the
   * observations made in the window.
   */
  histogramIncrease(name: string, matcher: LabelMatcher, windowSeconds: number): { buckets: HistogramBucket[]; count: number; coveredSeconds: number; atMs: number } | undefined {
    const span = this.span(windowSeconds);
    if (span === undefined) return undefined;
    const bucketName = `${name}_bucket`;
    const perSeries = increases(span.scrapes, (s) => matches(s, bucketName, matcher) && s.labels.le !== undefined, (s) => `${s.labels.le}|${seriesKey(s, ['le'])}`);
    const byLe = new Map<number, number>();
    for (const [key, v] of perSeries) {
      const le = parseLe(key.slice(0, key.indexOf('|')));
      if (le !== undefined) byLe.set(le, (byLe.get(le) ?? 0) + v);
    }
    const buckets = [...byLe.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
    return { buckets, count: byLe.get(Infinity) ?? 0, coveredSeconds: span.coveredSeconds, atMs: span.toMs };
  }
}

function parseLe(text: string): number | undefined {
  if (/^\+?inf$/i.test(text)) return Infinity;
  const n = Number(text);
  return text.trim() === '' || Number.isNaN(n) ? undefined : n;
}

/** Per series, the sum of increases over consecutive scrapes with reset handling. */
function increases(scrapes: readonly Scrape[], keep: (s: PromSample) => boolean, keyOf: (s: PromSample) => string): Map<string, number> {
  const totals = new Map<string, number>();
  let previous: Map<string, number> | undefined;
  for (const scrape of scrapes) {
    const current = new Map<string, number>();
    for (const s of scrape.samples) if (keep(s) && !Number.isNaN(s.value)) current.set(keyOf(s), (current.get(keyOf(s)) ?? 0) + s.value);
    if (previous !== undefined) {
      for (const [key, value] of current) {
        const before = previous.get(key) ?? 0;
        const delta = value >= before ? value - before : value;
        totals.set(key, (totals.get(key) ?? 0) + delta);
      }
    } else {
      for (const key of current.keys()) totals.set(key, 0);
    }
    previous = current;
  }
  return totals;
}
