/**
 * Quantiles and threshold shares from cumulative histogram buckets (pure),
 * with Prometheus's `histogram_quantile` semantics: linear interpolation
 * inside a bucket, the lowest bucket starting at 0, and a quantile that
 * falls into the `+Inf` bucket answered with the highest finite bound.
 */

/** One cumulative bucket: observations `<= le` (`le` may be `Infinity`). */
export interface HistogramBucket {
  readonly le: number;
  readonly count: number;
}

/** Sorted by `le`, counts made monotonic (as Prometheus does), or `undefined` without a `+Inf` bucket. */
function normalise(buckets: readonly HistogramBucket[]): HistogramBucket[] | undefined {
  const sorted = [...buckets].filter((b) => !Number.isNaN(b.le) && !Number.isNaN(b.count)).sort((a, b) => a.le - b.le);
  if (sorted.length === 0 || sorted[sorted.length - 1]?.le !== Infinity) return undefined;
  let max = 0;
  return sorted.map((b) => {
    max = Math.max(max, b.count);
    return { le: b.le, count: max };
  });
}

/**
 * The `q` quantile (0..1) of the observations in cumulative buckets, or
 * `null` when there are none (or no `+Inf` bucket).
 *
 * @example
 * histogramQuantile(0.5, [{ le: 0.1, count: 2 }, { le: 0.5, count: 4 }, { le: Infinity, count: 4 }]) // => 0.1
 * histogramQuantile(0.75, [{ le: 0.1, count: 2 }, { le: 0.5, count: 4 }, { le: Infinity, count: 4 }]) // => 0.3
 */
export function histogramQuantile(q: number, buckets: readonly HistogramBucket[]): number | null {
  const bs = normalise(buckets);
  const total = bs?.[bs.length - 1]?.count ?? 0;
  if (bs === undefined || total <= 0 || Number.isNaN(q)) return null;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const rank = q * total;
  const i = bs.findIndex((b) => b.count >= rank);
  const bucket = bs[i] as HistogramBucket;
  if (bucket.le === Infinity) return bs.length >= 2 ? (bs[bs.length - 2] as HistogramBucket).le : null;
  if (i === 0 && bucket.le <= 0) return bucket.le;
  const start = i === 0 ? 0 : (bs[i - 1] as HistogramBucket).le;
  const below = i === 0 ? 0 : (bs[i - 1] as HistogramBucket).count;
  const inBucket = bucket.count - below;
  if (inBucket <= 0) return bucket.le;
  return tidy(start + (bucket.le - start) * ((rank - below) / inBucket));
}

/** Drops floating-point noise (0.30000000000000004 → 0.3). */
const tidy = (x: number): number => Number(x.toPrecision(12));

/**
 * The share (0..1) of observations above `threshold`, or `null` when there
 * are none. Inside a bucket the observations are taken as evenly spread
 * (the same interpolation as {@link histogramQuantile}); above the highest
 * finite bound every observation counts as above the threshold.
 *
 * @example
 * // 10 requests: 6 <= 0.1 s, 9 <= 0.5 s, 10 in total
 * fractionAbove(0.5, [{ le: 0.1, count: 6 }, { le: 0.5, count: 9 }, { le: Infinity, count: 10 }]) // => 0.1
 * fractionAbove(0.3, [{ le: 0.1, count: 6 }, { le: 0.5, count: 9 }, { le: Infinity, count: 10 }]) // => 0.25
 */
export function fractionAbove(threshold: number, buckets: readonly HistogramBucket[]): number | null {
  const bs = normalise(buckets);
  const total = bs?.[bs.length - 1]?.count ?? 0;
  if (bs === undefined || total <= 0) return null;
  const finite = bs.filter((b) => b.le !== Infinity);
  let atOrBelow: number;
  const i = finite.findIndex((b) => b.le >= threshold);
  if (i === -1) {
    atOrBelow = finite[finite.length - 1]?.count ?? 0;
  } else {
    const bucket = finite[i] as HistogramBucket;
    const start = i === 0 ? Math.min(0, bucket.le) : (finite[i - 1] as HistogramBucket).le;
    const below = i === 0 ? 0 : (finite[i - 1] as HistogramBucket).count;
    atOrBelow = bucket.le === threshold || bucket.le === start ? bucket.count : below + (bucket.count - below) * (Math.max(threshold - start, 0) / (bucket.le - start));
  }
  return tidy(Math.min(Math.max(1 - atOrBelow / total, 0), 1));
}
